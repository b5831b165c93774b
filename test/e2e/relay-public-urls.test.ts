// NIP-42 AUTH, NIP-62 requests to vanish and NIP-86 authorizations name the relay by its
// configured public URL (RELAY_PUBLIC_URLS), scheme included, never by the client's Host.
import { makeAuthEvent } from 'nostr-tools/nip42';
import { getToken } from 'nostr-tools/nip98';
import { finalizeEvent } from 'nostr-tools/pure';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeRelayUrl } from '../../relay/urls.ts';
import { newKey, sign, startTestRelay, WireClient, type TestRelay } from '../support/relay.ts';

const PUBLIC = 'wss://relay.example.com';
const admin = newKey();
let relay: TestRelay;
beforeAll(async () => { relay = await startTestRelay({ RELAY_PUBLIC_URLS: PUBLIC, RELAY_ADMIN_PUBKEYS: admin.pk }); });
afterAll(async () => relay.close());

async function challenged(): Promise<WireClient> {
  const c = await WireClient.open(relay.url);
  await c.query('gated', { kinds: [4] });
  await c.next((m) => m[0] === 'AUTH');
  return c;
}

async function auth(c: WireClient, relayTag: string): Promise<[boolean, string]> {
  const e = finalizeEvent(makeAuthEvent(relayTag, c.challenge), newKey().sk);
  const from = c.received.length;
  c.send(['AUTH', e]);
  const ok = await c.next((m) => m[0] === 'OK' && m[1] === e.id, from);
  return [ok[2] as boolean, ok[3] as string];
}

describe('the relay names itself by configuration', () => {
  it('compares URLs with their scheme (http as ws, https as wss), host and path', () => {
    expect(normalizeRelayUrl('WSS://Relay.Example.com:443/')).toBe('wss://relay.example.com');
    expect(normalizeRelayUrl('https://relay.example.com')).toBe(normalizeRelayUrl(PUBLIC));
    expect(normalizeRelayUrl('ws://relay.example.com')).not.toBe(normalizeRelayUrl(PUBLIC));
  });

  it('accepts AUTH naming the public URL, refuses the Host the client used and the wrong scheme', async () => {
    const c = await challenged();
    // relay.url is ws://127.0.0.1:<port>, the Host header of this connection.
    expect((await auth(c, relay.url))[1]).toBe('invalid: AUTH relay tag does not name this relay');
    expect((await auth(c, 'ws://relay.example.com'))[0]).toBe(false);
    expect(await auth(c, `${PUBLIC}/`)).toEqual([true, '']);
    c.close();
  });

  it('honours a request to vanish only when it names the public URL', async () => {
    const k = newKey();
    const c = await WireClient.open(relay.url);
    const note = sign(k, { kind: 1, content: 'still here', created_at: Math.floor(Date.now() / 1000) - 5 });
    await c.publish(note);
    await c.publish(sign(k, { kind: 62, tags: [['relay', relay.url]] }));
    expect((await c.query('a', { ids: [note.id] })).events).toHaveLength(1);
    await c.publish(sign(k, { kind: 62, tags: [['relay', PUBLIC]] }));
    expect((await c.query('b', { ids: [note.id] })).events).toHaveLength(0);
    c.close();
  });

  it('takes NIP-86 authorizations for the public URL only', async () => {
    const http = relay.url.replace('ws://', 'http://');
    const call = async (u: string) => {
      const body = { method: 'supportedmethods', params: [] };
      const token = await getToken(u, 'POST', (e) => finalizeEvent(e, admin.sk), true, body);
      const res = await fetch(http, { method: 'POST', headers: { 'content-type': 'application/nostr+json+rpc', authorization: token }, body: JSON.stringify(body) });
      return { status: res.status, body: await res.json() as { error?: string } };
    };
    expect(await call(http)).toMatchObject({ status: 401, body: { error: expect.stringMatching(/u tag/) } });
    expect((await call('https://relay.example.com')).status).toBe(200);
  });
});
