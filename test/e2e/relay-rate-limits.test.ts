// Rate limits that cannot be dodged: the client address is the hop a trusted proxy added,
// loopback is not exempt, our own bots are (by pubkey), connections per address are capped,
// AUTH is rate-limited, and counts are shared by relay processes through Redis.
import { Redis } from 'ioredis';
import { makeAuthEvent } from 'nostr-tools/nip42';
import { finalizeEvent } from 'nostr-tools/pure';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { parseConfig } from '../../core/config.ts';
import { createLogger } from '../../core/log.ts';
import { loadBotKey } from '../../core/nostr/keys.ts';
import { SharedRateLimit } from '../../relay/rate-limits.ts';
import { redisUrl, uniqueName } from '../support/db.ts';
import { newKey, sign, startTestRelay, WireClient, type TestRelay } from '../support/relay.ts';

const cleanup: Array<() => unknown> = [];
afterEach(async () => { for (const f of cleanup.splice(0).reverse()) await f(); });
async function relayWith(env: Record<string, string>): Promise<TestRelay> {
  const relay = await startTestRelay(env);
  cleanup.push(() => relay.close());
  return relay;
}

async function openWith(url: string, headers: Record<string, string>): Promise<WebSocket> {
  const ws = new WebSocket(url, { headers });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  cleanup.push(() => ws.close());
  return ws;
}

const publishAll = (c: WireClient, events: Array<{ id: string }>) => Promise.all(events.map((e) => c.publish(e)));

describe('relay rate limits', () => {
  it('takes the client address from the hop the trusted proxy added, not from what the client sent', async () => {
    const relay = await relayWith({ RELAY_TRUST_PROXY: 'true' });
    await openWith(relay.url, { 'x-forwarded-for': '198.51.100.1, 203.0.113.7' });
    await openWith(relay.url, { 'x-forwarded-for': '198.51.100.2,203.0.113.7' });
    await openWith(relay.url, {}); // no proxy in front: the socket's address
    expect([...relay.engine.connections].map((c) => c.ip)).toEqual(['203.0.113.7', '203.0.113.7', '127.0.0.1']);

    const chain = await relayWith({ RELAY_TRUST_PROXY: 'loopback, 10.0.0.0/8' });
    await openWith(chain.url, { 'x-forwarded-for': '198.51.100.1, 203.0.113.9, 10.1.2.3' });
    expect([...chain.engine.connections].map((c) => c.ip)).toEqual(['203.0.113.9']);
  });

  it('exempts no address by default: loopback clients are limited like any other', async () => {
    expect(parseConfig({}).RELAY_RATE_EXEMPT_IPS).toEqual([]);
    const relay = await relayWith({ RELAY_RATE_IP_EVENTS: '3', RELAY_RATE_EXEMPT_IPS: '' });
    const c = await WireClient.open(relay.url);
    const k = newKey();
    const results = await publishAll(c, Array.from({ length: 12 }, (_, i) => sign(k, { kind: 1, content: `${i}` })));
    expect(results.filter(([ok, why]) => !ok && why.startsWith('rate-limited:')).length).toBeGreaterThan(0);
    c.close();
  });

  it('exempts the service\'s own bots by pubkey: their events, and connections that AUTH as them', async () => {
    const listed = newKey();
    const relay = await relayWith({ RELAY_RATE_IP_EVENTS: '2', RELAY_RATE_IP_REQS: '2', RELAY_RATE_EXEMPT_PUBKEYS: listed.pk });
    const bot = await loadBotKey(relay.ctx.secrets, 'dm');
    await relay.engine.policy.reloadBots();
    const c = await WireClient.open(relay.url);
    const botEvents = Array.from({ length: 10 }, (_, i) => finalizeEvent({ kind: 1, created_at: Math.floor(Date.now() / 1000), tags: [], content: `bot ${i}` }, bot.secretKey));
    const listedEvents = Array.from({ length: 10 }, (_, i) => sign(listed, { kind: 1, content: `listed ${i}` }));
    expect((await publishAll(c, [...botEvents, ...listedEvents])).every(([ok]) => ok)).toBe(true);

    // Reads: a stranger is limited; the same address authenticated as the bot is not.
    const asBot = await WireClient.open(relay.url);
    await asBot.query('gated', { kinds: [4] });
    await asBot.next((m) => m[0] === 'AUTH');
    const auth = finalizeEvent(makeAuthEvent(relay.url, asBot.challenge), bot.secretKey);
    asBot.send(['AUTH', auth]);
    expect((await asBot.next((m) => m[0] === 'OK' && m[1] === auth.id))[2]).toBe(true);
    const stranger = await WireClient.open(relay.url);
    const limited = await Promise.all(Array.from({ length: 10 }, (_, i) => stranger.query(`s${i}`, { kinds: [1], limit: 1 })));
    expect(limited.some((r) => r.closed?.startsWith('rate-limited:'))).toBe(true);
    const free = await Promise.all(Array.from({ length: 10 }, (_, i) => asBot.query(`b${i}`, { kinds: [1], limit: 1 })));
    expect(free.every((r) => r.closed === undefined)).toBe(true);
    for (const x of [c, stranger, asBot]) x.close();
  });

  it('caps open connections per address', async () => {
    const relay = await relayWith({ RELAY_MAX_CONNECTIONS_PER_IP: '3' });
    const open = await Promise.all([1, 2, 3].map(() => WireClient.open(relay.url)));
    await expect(WireClient.open(relay.url)).rejects.toThrow(/429/);
    const gone = new Promise((resolve) => open[0]!.ws.once('close', resolve));
    open[0]!.close();
    await gone;
    await expect.poll(() => relay.engine.connections.size).toBe(2);
    const again = await WireClient.open(relay.url);
    for (const c of [...open, again]) c.close();
  });

  it('caps open connections per address across relay processes, and forgets a process that stops', async () => {
    const env = { RELAY_MAX_CONNECTIONS_PER_IP: '3', REDIS_PREFIX: uniqueName('t') };
    const a = await startTestRelay(env);
    const b = await relayWith(env);
    const onA = await Promise.all([1, 2].map(() => WireClient.open(a.url)));
    const onB = await WireClient.open(b.url);
    await expect(WireClient.open(b.url)).rejects.toThrow(/429/);
    await expect(WireClient.open(a.url)).rejects.toThrow(/429/);
    // A's connections end with A: B takes their slots.
    const gone = Promise.all(onA.map((c) => new Promise((resolve) => c.ws.once('close', resolve))));
    await a.close();
    await gone;
    const more = await Promise.all([1, 2].map(() => WireClient.open(b.url)));
    await expect(WireClient.open(b.url)).rejects.toThrow(/429/);
    for (const c of [onB, ...more]) c.close();
  });

  it('rate-limits AUTH before checking its signature', async () => {
    const relay = await relayWith({ RELAY_RATE_IP_AUTH: '2' });
    const c = await WireClient.open(relay.url);
    await c.query('gated', { kinds: [4] });
    await c.next((m) => m[0] === 'AUTH');
    const attempts = Array.from({ length: 8 }, () => finalizeEvent(makeAuthEvent(relay.url, 'wrong'), newKey().sk));
    for (const e of attempts) c.send(['AUTH', e]);
    const replies = await Promise.all(attempts.map((e) => c.next((m) => m[0] === 'OK' && m[1] === e.id)));
    expect(replies.some((m) => String(m[3]).startsWith('rate-limited:'))).toBe(true);
    c.close();
  });

  it('shares counts between relay processes through Redis', async () => {
    const prefix = uniqueName('t');
    const log = createLogger({ level: 'silent', pretty: false });
    const redis = new Redis(redisUrl());
    cleanup.push(() => redis.disconnect());
    // Two processes' limiters: 5 per minute for one address.
    const [a, b] = [0, 1].map(() => new SharedRateLimit({ redis, prefix, name: 'reads', points: 5, windowSeconds: 60, log }));
    const key = `${prefix}:relay:rate:reads:203.0.113.7`;
    expect([1, 2, 3, 4, 5, 6].map(() => a!.take('203.0.113.7'))).toEqual([true, true, true, true, true, false]);
    await expect.poll(() => redis.get(key)).toBe('5');
    // b has not heard of the address yet and lets one through; once Redis answers, it refuses.
    expect(b!.take('203.0.113.7')).toBe(true);
    await expect.poll(() => redis.get(key)).toBe('6');
    await expect.poll(() => b!.take('203.0.113.7')).toBe(false);
    expect(await redis.get(key)).toBe('6');
  });
});
