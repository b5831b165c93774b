// Bad input and limits: each gets its NIP-01 answer (OK false with prefix, CLOSED or
// NOTICE), and neither the connection nor the relay suffers for it.
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKey, sign, startTestRelay, WireClient, type TestRelay } from '../support/relay.ts';

let relay: TestRelay;
const denied = newKey();
const hookDir = mkdtempSync(path.join(tmpdir(), 'flash-policy-'));
const hookFile = path.join(hookDir, 'spam-filter.mjs');
writeFileSync(hookFile, "export default (event) => event.content.includes('BUY NOW') ? { accept: false, reason: 'spam' } : { accept: true };\n");

beforeAll(async () => {
  relay = await startTestRelay({
    RELAY_MAX_MESSAGE_BYTES: '8192', RELAY_MAX_SUBSCRIPTIONS: '3', RELAY_MAX_FILTERS: '2', RELAY_MAX_LIMIT: '5',
    RELAY_MAX_TAGS: '5', RELAY_MAX_CONTENT_LENGTH: '100', RELAY_CREATED_AT_PAST: '3600', RELAY_CREATED_AT_FUTURE: '60',
    RELAY_PUBKEY_DENY: denied.pk, RELAY_KIND_DENY: '666', RELAY_WRITE_POLICY: hookFile, RELAY_MAX_SUBID_LENGTH: '10',
  });
});
afterAll(async () => relay.close());

const now = () => Math.floor(Date.now() / 1000);

/** Sends `msg` and returns the next reply. */
async function reply(c: WireClient, msg: unknown): Promise<unknown[]> {
  const from = c.received.length;
  c.send(msg);
  return c.next(() => true, from);
}

async function stillHealthy(c: WireClient): Promise<void> {
  const e = sign(newKey(), { kind: 1, content: 'alive' });
  expect(await c.publish(e)).toEqual([true, '']);
}

describe('malformed messages', () => {
  it('answers each with a NOTICE, CLOSED or OK false and keeps the connection', async () => {
    const c = await WireClient.open(relay.url);
    const good = sign(newKey(), { kind: 1, content: 'fine' });
    const cases: Array<[unknown, string, RegExp]> = [
      ['{not json', 'NOTICE', /^invalid:/],
      ['"just a string"', 'NOTICE', /^invalid:/],
      [{ verb: 'EVENT' }, 'NOTICE', /^invalid:/],
      [[], 'NOTICE', /^invalid:/],
      [[42], 'NOTICE', /^invalid:/],
      [['HELLO'], 'NOTICE', /^invalid: unknown message type/],
      [['EVENT'], 'NOTICE', /^invalid:/],
      [['EVENT', 'nope'], 'NOTICE', /^invalid:/],
      [['EVENT', { ...good, kind: '1' }], 'OK', /^invalid: kind/],
      [['EVENT', { ...good, kind: 70000 }], 'OK', /^invalid: kind/],
      [['EVENT', { ...good, created_at: 1e300 }], 'OK', /^invalid: created_at/],
      [['EVENT', { ...good, created_at: 1.5 }], 'OK', /^invalid: created_at/],
      [['EVENT', { ...good, tags: 'x' }], 'OK', /^invalid: tags/],
      [['EVENT', { ...good, tags: [['p', 1]] }], 'OK', /^invalid: each tag/],
      [['EVENT', { ...good, content: 5 }], 'OK', /^invalid: content/],
      [['EVENT', { ...good, pubkey: good.pubkey.toUpperCase() }], 'OK', /^invalid: pubkey/],
      [['EVENT', { ...good, pubkey: 'zz' + good.pubkey.slice(2) }], 'OK', /^invalid: pubkey/],
      [['EVENT', { ...good, sig: 'abc' }], 'OK', /^invalid: sig/],
      [['EVENT', { ...good, content: 'tampered' }], 'OK', /^invalid: event id/],
      [['EVENT', { ...good, sig: 'ab'.repeat(64) }], 'OK', /^invalid: bad signature/],
      [['EVENT', good, 'extra'], 'OK', /^invalid:/],
      [['REQ'], 'NOTICE', /^invalid: subscription id/],
      [['REQ', 5, {}], 'NOTICE', /^invalid: subscription id/],
      [['REQ', 'x'.repeat(11), {}], 'NOTICE', /^invalid: subscription id longer/],
      [['REQ', 's'], 'CLOSED', /^invalid: REQ needs at least one filter/],
      [['REQ', 's', {}, {}, {}], 'CLOSED', /^invalid: more than 2 filters/],
      [['REQ', 's', []], 'CLOSED', /^invalid: filter must be an object/],
      [['REQ', 's', { kinds: 'x' }], 'CLOSED', /^invalid: kinds/],
      [['REQ', 's', { kinds: [1e10] }], 'CLOSED', /^invalid: kinds/],
      [['REQ', 's', { limit: 1e20 }], 'CLOSED', /^invalid: limit/],
      [['REQ', 's', { since: -1 }], 'CLOSED', /^invalid: since/],
      [['REQ', 's', { ids: ['abc'] }], 'CLOSED', /^invalid: ids/],
      [['REQ', 's', { authors: [null] }], 'CLOSED', /^invalid: authors/],
      [['REQ', 's', { '#e': 'x' }], 'CLOSED', /^invalid: #e/],
      [['REQ', 's', { '#long': ['x'] }], 'CLOSED', /^invalid: unsupported filter field/],
      [['REQ', 's', { search: 7 }], 'CLOSED', /^invalid: search/],
      [['COUNT', 's'], 'CLOSED', /^invalid:/],
      [['CLOSE'], 'NOTICE', /^invalid:/],
      [['NEG-OPEN', 'n', {}, 'zz'], 'NEG-ERR', /^invalid:/],
      [['NEG-MSG', 'n', '61'], 'NEG-ERR', /^closed:/],
    ];
    for (const [msg, verb, reason] of cases) {
      const m = await reply(c, msg);
      expect([m[0], m[m.length - 1]], JSON.stringify(msg).slice(0, 80)).toEqual([verb, expect.stringMatching(reason)]);
      if (verb === 'OK') expect(m[2]).toBe(false);
    }
    await stillHealthy(c);
    c.close();
  });

  it('refuses a message over the size limit with a NOTICE and keeps the connection', async () => {
    const c = await WireClient.open(relay.url);
    const m = await reply(c, ['EVENT', sign(newKey(), { kind: 1, content: 'x'.repeat(9000) })]);
    expect(m).toEqual(['NOTICE', expect.stringMatching(/^invalid: message larger than 8192 bytes/)]);
    await stillHealthy(c);
    c.close();
  });

  it('refuses binary frames', async () => {
    const c = await WireClient.open(relay.url);
    const from = c.received.length;
    c.ws.send(Buffer.from('["REQ","b",{}]'), { binary: true });
    expect(await c.next(() => true, from)).toEqual(['NOTICE', expect.stringMatching(/^invalid:/)]);
    c.close();
  });
});

describe('event limits and policies', () => {
  it('refuses over-limit and unwanted events with the right prefix', async () => {
    const c = await WireClient.open(relay.url);
    const k = newKey();
    const cases: Array<[ReturnType<typeof sign>, RegExp]> = [
      [sign(k, { kind: 1, tags: Array.from({ length: 6 }, (_, i) => ['t', String(i)]) }), /^invalid: more than 5 tags/],
      [sign(k, { kind: 1, content: 'x'.repeat(101) }), /^invalid: content longer/],
      [sign(k, { kind: 1, created_at: now() + 3600 }), /^invalid: created_at is more than 60 seconds in the future/],
      [sign(k, { kind: 1, created_at: now() - 7200 }), /^invalid: created_at is more than 3600 seconds in the past/],
      [sign(denied, { kind: 1 }), /^blocked: this pubkey/],
      [sign(k, { kind: 666 }), /^blocked: kind 666/],
      [sign(k, { kind: 1, content: 'BUY NOW cheap sats' }), /^blocked: spam/],
    ];
    for (const [e, reason] of cases) {
      const [ok, why] = await c.publish(e);
      expect([ok, why]).toEqual([false, expect.stringMatching(reason)]);
    }
    await stillHealthy(c);
    c.close();
  });

  it('caps open subscriptions per connection and a filter\'s limit', async () => {
    const c = await WireClient.open(relay.url);
    const k = newKey();
    for (let i = 0; i < 7; i++) await c.publish(sign(k, { kind: 1, content: String(i), created_at: now() - i }));
    expect((await c.query('a', { authors: [k.pk], limit: 100 })).events).toHaveLength(5);
    await c.query('b', { kinds: [1], limit: 1 });
    await c.query('c', { kinds: [1], limit: 1 });
    expect((await c.query('d', { kinds: [1] })).closed).toMatch(/^blocked: at most 3 open subscriptions/);
    // Reusing an id replaces instead of counting again; closing frees a place.
    expect((await c.query('c', { kinds: [1], limit: 1 })).closed).toBeUndefined();
    c.send(['CLOSE', 'c']);
    expect((await c.query('d', { kinds: [1], limit: 1 })).closed).toBeUndefined();
    c.close();
  });
});

describe('rate limits', () => {
  it('answer floods of events and REQs with rate-limited: and keep the connection', async () => {
    const limited = await startTestRelay({ RELAY_RATE_IP_EVENTS: '5', RELAY_RATE_IP_REQS: '5', RELAY_RATE_PUBKEY_EVENTS: '0' });
    try {
      const c = await WireClient.open(limited.url);
      const k = newKey();
      const results = await Promise.all(Array.from({ length: 30 }, (_, i) => c.publish(sign(k, { kind: 1, content: String(i) }))));
      expect(results.filter(([ok]) => ok).length).toBeGreaterThan(0);
      expect(results.filter(([ok, why]) => !ok && why.startsWith('rate-limited:')).length).toBeGreaterThan(0);
      const from = c.received.length;
      for (let i = 0; i < 40; i++) c.send(['REQ', `f${i}`, { kinds: [1], limit: 1 }]);
      await c.next((m) => m[0] === 'CLOSED' && String(m[2]).startsWith('rate-limited:'), from);
      c.close();
    } finally {
      await limited.close();
    }
  });

  it('limit each pubkey', async () => {
    const limited = await startTestRelay({ RELAY_RATE_PUBKEY_EVENTS: '2' });
    try {
      const c = await WireClient.open(limited.url);
      const k = newKey();
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => c.publish(sign(k, { kind: 1, content: String(i) }))));
      expect(results.some(([ok, why]) => !ok && /^rate-limited: .*pubkey/.test(why))).toBe(true);
      // Another author is not held back.
      expect(await c.publish(sign(newKey(), { kind: 1, content: 'other' }))).toEqual([true, '']);
      c.close();
    } finally {
      await limited.close();
    }
  });
});

describe('slow consumers', () => {
  it('are dropped with a NOTICE once their queued output passes the limit', async () => {
    const slow = await startTestRelay({ RELAY_SEND_BUFFER: '65536' });
    try {
      const reader = await WireClient.open(slow.url);
      await reader.query('all', { kinds: [1] });
      const closed = new Promise<number>((resolve) => reader.ws.once('close', (code) => resolve(code)));
      (reader.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      const writer = await WireClient.open(slow.url);
      const k = newKey();
      const big = 'x'.repeat(60_000);
      for (let i = 0; i < 400 && slow.engine.connections.size > 1; i++) {
        await writer.publish(sign(k, { kind: 1, content: `${i}${big}` }));
      }
      expect(slow.engine.connections.size).toBe(1);
      (reader.ws as unknown as { _socket: { resume(): void } })._socket.resume();
      expect(await closed).toBe(1008);
      expect(reader.received.some((m) => m[0] === 'NOTICE' && /slowly/.test(String(m[1])))).toBe(true);
      await stillHealthy(writer);
      writer.close();
    } finally {
      await slow.close();
    }
  });
});
