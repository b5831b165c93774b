// NIP-86 relay management over HTTP with NIP-98 authorization (nostr-tools nip98 tokens).
import { getToken } from 'nostr-tools/nip98';
import { finalizeEvent } from 'nostr-tools/pure';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKey, sign, startTestRelay, WireClient, type TestRelay } from '../support/relay.ts';

const admin = newKey();
let relay: TestRelay;
let http: string;
beforeAll(async () => {
  relay = await startTestRelay({ RELAY_ADMIN_PUBKEYS: admin.pk });
  http = relay.url.replace('ws://', 'http://');
});
afterAll(async () => relay.close());

async function call(method: string, params: unknown[] = [], key = admin, opts: { tamper?: boolean } = {}): Promise<{ status: number; body: { result?: unknown; error?: string } }> {
  const body = { method, params };
  // Each authorization works once; a nonce tag keeps two equal calls in one second apart.
  const token = await getToken(http, 'POST', (e) => finalizeEvent({ ...e, tags: [...e.tags, ['nonce', String(Math.random())]] }, key.sk), true, body);
  const res = await fetch(http, {
    method: 'POST',
    headers: { 'content-type': 'application/nostr+json+rpc', authorization: token },
    body: JSON.stringify(opts.tamper ? { ...body, params: ['x'] } : body),
  });
  return { status: res.status, body: await res.json() as { result?: unknown; error?: string } };
}

describe('NIP-86 management API', () => {
  it('refuses requests without a valid admin authorization', async () => {
    const res = await fetch(http, { method: 'POST', headers: { 'content-type': 'application/nostr+json+rpc' }, body: '{"method":"supportedmethods","params":[]}' });
    expect(res.status).toBe(401);
    expect((await call('supportedmethods', [], newKey())).status).toBe(401);
    expect((await call('supportedmethods', [], admin, { tamper: true })).body.error).toMatch(/payload/);
  });

  it('lists its methods and bans, lists and unbans pubkeys, live on open connections', async () => {
    const methods = (await call('supportedmethods')).body.result as string[];
    expect(methods).toEqual(expect.arrayContaining(['banpubkey', 'allowpubkey', 'banevent', 'listbannedpubkeys', 'blockip']));
    const spammer = newKey();
    const c = await WireClient.open(relay.url);
    expect(await c.publish(sign(spammer, { kind: 1, content: 'before' }))).toEqual([true, '']);
    expect((await call('banpubkey', [spammer.pk, 'spam'])).body).toEqual({ result: true });
    expect((await call('listbannedpubkeys')).body.result).toEqual([{ pubkey: spammer.pk, reason: 'spam' }]);
    const [ok, why] = await c.publish(sign(spammer, { kind: 1, content: 'after' }));
    expect([ok, why.split(':')[0]]).toEqual([false, 'blocked']);
    expect((await call('unbanpubkey', [spammer.pk])).body).toEqual({ result: true });
    expect(await c.publish(sign(spammer, { kind: 1, content: 'forgiven' }))).toEqual([true, '']);
    c.close();
  });

  it('bans an event (removing it), restricts kinds, and renames the relay in NIP-11', async () => {
    const c = await WireClient.open(relay.url);
    const e = sign(newKey(), { kind: 1, content: 'illegal' });
    await c.publish(e);
    expect((await call('banevent', [e.id, 'takedown'])).body).toEqual({ result: true });
    expect((await c.query('q', { ids: [e.id] })).events).toEqual([]);
    expect((await c.publish(e))[0]).toBe(false);
    expect((await call('listbannedevents')).body.result).toEqual([{ id: e.id, reason: 'takedown' }]);

    expect((await call('disallowkind', [1984])).body).toEqual({ result: true });
    expect((await call('listdisallowedkinds')).body.result).toEqual([1984]);
    expect((await c.publish(sign(newKey(), { kind: 1984 })))[1]).toMatch(/^blocked:/);
    await call('allowkind', [1984]);
    expect((await call('listdisallowedkinds')).body.result).toEqual([]);
    await call('disallowkind', [1984]); // leave the allow list empty for the other tests
    await call('allowkind', [1]);
    expect((await c.publish(sign(newKey(), { kind: 7 })))[1]).toMatch(/^blocked:/);
    expect((await c.publish(sign(newKey(), { kind: 1 })))[0]).toBe(true);

    expect((await call('changerelayname', ['Renamed'])).body).toEqual({ result: true });
    const doc = await (await fetch(http, { headers: { accept: 'application/nostr+json' } })).json() as { name: string; limitation: { restricted_writes: boolean } };
    expect(doc.name).toBe('Renamed');
    expect(doc.limitation.restricted_writes).toBe(true);
    c.close();
  });

  it('blocks an IP: open connections are dropped and new ones refused', async () => {
    const c = await WireClient.open(relay.url);
    const closed = new Promise((resolve) => c.ws.once('close', resolve));
    expect((await call('blockip', ['127.0.0.1', 'abuse'])).body).toEqual({ result: true });
    await closed;
    await expect(WireClient.open(relay.url)).rejects.toThrow();
    expect((await call('unblockip', ['127.0.0.1'])).body).toEqual({ result: true });
    (await WireClient.open(relay.url)).close();
  });

  it('takes each authorization once: a captured header cannot be replayed', async () => {
    const body = JSON.stringify({ method: 'banpubkey', params: [newKey().pk] });
    const token = await getToken(http, 'POST', (e) => finalizeEvent(e, admin.sk), true, JSON.parse(body));
    const post = () => fetch(http, { method: 'POST', headers: { 'content-type': 'application/nostr+json+rpc', authorization: token }, body });
    expect((await post()).status).toBe(200);
    const again = await post();
    expect(again.status).toBe(401);
    expect((await again.json() as { error: string }).error).toMatch(/used already/);
  });

  it('answers unknown methods and bad params with an error', async () => {
    expect((await call('selfdestruct')).body.error).toMatch(/unsupported method/);
    expect((await call('banpubkey', ['nothex'])).body.error).toMatch(/invalid params/);
  });
});
