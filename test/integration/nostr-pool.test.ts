// The relay pool and DMs over real WebSockets, against the in-test MiniRelay fixture
// (switch to the project's relay once it lands).
import { finalizeEvent, generateSecretKey, type NostrEvent } from 'nostr-tools/pure';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../core/log.ts';
import { createDm, DmError, openDm, replyTo, type IncomingDm } from '../../core/nostr/dm.ts';
import { keyPair } from '../../core/nostr/keys.ts';
import { BoundedSet, RelayPool, type RelayPoolOptions } from '../../core/nostr/pool.ts';
import { Outbound } from '../../core/outbound.ts';
import { normalizeURL } from 'nostr-tools/utils';
import { MiniRelay } from '../support/mini-relay.ts';
import { forgedGiftWrap } from '../support/nostr.ts';
import { freePort } from '../support/process.ts';

const log = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent', pretty: false });
const cleanup: Array<() => unknown> = [];
afterEach(async () => { for (const f of cleanup.splice(0).reverse()) await f(); });

async function relay(opts: ConstructorParameters<typeof MiniRelay>[0] = {}): Promise<MiniRelay> {
  const r = await MiniRelay.start(opts);
  cleanup.push(() => r.stop());
  return r;
}
// Test relays listen on loopback, which the outbound policy refuses unless allowed.
const loopbackAllowed = new Outbound({ allow: ['127.0.0.0/8'] });
afterAll(() => loopbackAllowed.close());
function pool(opts: Partial<RelayPoolOptions> & { relays: string[] }): RelayPool {
  const p = new RelayPool({ log, outbound: loopbackAllowed, backoff: { minMs: 20, maxMs: 200 }, publishTimeoutMs: 2_000, connectTimeoutMs: 2_000, ...opts });
  cleanup.push(() => p.close());
  return p;
}

const author = generateSecretKey();
const note = (content: string, createdAt = Math.floor(Date.now() / 1000)): NostrEvent =>
  finalizeEvent({ kind: 1, created_at: createdAt, tags: [], content }, author);

describe('relay pool', () => {
  it('delivers an event seen on two relays once, and what each has alone', async () => {
    const [a, b] = [await relay(), await relay()];
    const shared = note('both');
    a.inject(shared); b.inject(shared);
    const onlyA = note('a'); a.inject(onlyA);
    const got: string[] = [];
    pool({ relays: [a.url, b.url] }).subscribe([{ kinds: [1] }], (e) => { got.push(e.id); });
    const onlyB = note('b'); b.inject(onlyB);
    await expect.poll(() => got.length).toBe(3);
    expect(got.sort()).toEqual([shared.id, onlyA.id, onlyB.id].sort());
    a.inject(shared);
    b.inject(shared);
    await expect.poll(() => a.events.length + b.events.length).toBe(6);
    expect(got.filter((id) => id === shared.id)).toHaveLength(1);
  });

  it('drops events whose signature or id does not verify', async () => {
    const r = await relay();
    const got: string[] = [];
    pool({ relays: [r.url] }).subscribe([{ kinds: [1] }], (e) => { got.push(e.id); });
    await expect.poll(() => r.reqs.length).toBe(1);
    const [a, b, c] = [note('sig'), note('id'), note('content')];
    r.inject({ ...a, sig: (a.sig[0] === 'a' ? 'b' : 'a') + a.sig.slice(1) });
    r.inject({ ...b, id: 'e'.repeat(64) });
    r.inject({ ...c, content: 'changed' });
    const good = note('good');
    r.inject(good);
    await expect.poll(() => got).toEqual([good.id]);
  });

  it('checks signatures from every relay except the trusted one (our own, which verified them)', async () => {
    const [own, other] = [await relay(), await relay()];
    const got: string[] = [];
    pool({ relays: [own.url, other.url], trusted: [own.url] }).subscribe([{ kinds: [1] }], (e) => { got.push(e.content); });
    await expect.poll(() => own.reqs.length + other.reqs.length).toBe(2);
    const forged = (e: NostrEvent) => ({ ...e, sig: (e.sig[0] === 'a' ? 'b' : 'a') + e.sig.slice(1) });
    other.inject(forged(note('forged elsewhere')));
    own.inject(forged(note('from our relay')));
    other.inject(note('good'));
    await expect.poll(() => got.sort()).toEqual(['from our relay', 'good']);
  });

  it('lets a subscription that replaces another skip what the old one delivered', async () => {
    const r = await relay();
    const old = note('before'); r.inject(old);
    const p = pool({ relays: [r.url] });
    const seen = new BoundedSet(100);
    const first: string[] = [];
    const a = p.subscribe([{ kinds: [1] }], (e) => { first.push(e.id); }, { seen });
    await expect.poll(() => first).toEqual([old.id]);
    const second: string[] = [];
    p.subscribe([{ kinds: [1] }], (e) => { second.push(e.id); }, { seen });
    a.close();
    const fresh = note('after'); r.inject(fresh);
    await expect.poll(() => second).toEqual([fresh.id]);
  });

  it('tells stored events (sent before EOSE, again after a reconnect) from live ones', async () => {
    const r = await relay();
    const old = note('stored');
    r.inject(old);
    const got: Array<[string, boolean]> = [];
    pool({ relays: [r.url] }).subscribe([{ kinds: [1] }], (e, _relay, stored) => { got.push([e.content, stored]); });
    await expect.poll(() => got).toEqual([['stored', true]]);
    r.inject(note('live'));
    await expect.poll(() => got).toEqual([['stored', true], ['live', false]]);
  });

  it('bounds its memory of seen ids: the oldest are forgotten first', async () => {
    const r = await relay();
    const got: string[] = [];
    pool({ relays: [r.url], dedupSize: 2 }).subscribe([{ kinds: [1] }], (e) => { got.push(e.id); });
    const [e1, e2, e3] = [note('1'), note('2'), note('3')];
    await expect.poll(() => r.connections).toBe(1);
    await expect.poll(() => r.reqs.length).toBe(1);
    r.inject(e1); r.inject(e2); r.inject(e1);
    await expect.poll(() => got).toEqual([e1.id, e2.id]);
    r.inject(e3); r.inject(e1);
    await expect.poll(() => got).toEqual([e1.id, e2.id, e3.id, e1.id]);
  });

  it('reconnects after the relay restarts and resumes from the last event seen minus the margin', async () => {
    const r = await relay();
    const got: NostrEvent[] = [];
    let eoses = 0;
    pool({ relays: [r.url] }).subscribe([{ kinds: [1], since: 1 }], (e) => { got.push(e); }, { resumeMarginSec: 60, onEose: () => { eoses++; } });
    const first = note('before restart');
    await expect.poll(() => eoses).toBe(1);
    r.inject(first);
    await expect.poll(() => got.length).toBe(1);

    await r.stop();
    const recent = note('while down, within margin', first.created_at - 30);
    const old = note('while down, before margin', first.created_at - 3600);
    r.inject(recent); r.inject(old);
    await r.listen();

    await expect.poll(() => eoses, { timeout: 10_000 }).toBe(2);
    expect(r.reqs.at(-1)!.filters).toEqual([{ kinds: [1], since: first.created_at - 60 }]);
    expect(got.map((e) => e.content)).toEqual(['before restart', 'while down, within margin']);
  });

  it('authenticates with NIP-42 as the bot to read gated kinds; without a key it reads nothing', async () => {
    const r = await relay({ lazyChallenge: true });
    const bot = keyPair(generateSecretKey());
    const dm = createDm('nip17', generateSecretKey(), bot.pubkey, 'hello');
    r.inject(dm);
    const withKey: NostrEvent[] = [];
    const withoutKey: NostrEvent[] = [];
    pool({ relays: [r.url], signer: bot.signer }).subscribe([{ kinds: [1059], '#p': [bot.pubkey] }], (e) => { withKey.push(e); });
    pool({ relays: [r.url] }).subscribe([{ kinds: [1059], '#p': [bot.pubkey] }], (e) => { withoutKey.push(e); });
    await expect.poll(() => withKey.map((e) => e.id)).toEqual([dm.id]);
    expect([...r.authed]).toEqual([bot.pubkey]);
    expect(withoutKey).toEqual([]);
  });

  it('publishes with a result per relay: accepted, duplicate, refused, unreachable, auth then accepted', async () => {
    const [ok, blocking, gated] = [await relay(), await relay({ blockedKinds: [1] }), await relay({ authToPublish: true, lazyChallenge: true })];
    const dead = `ws://127.0.0.1:${await freePort()}`;
    const me = keyPair(author);
    const p = pool({ relays: [ok.url, blocking.url, dead], signer: me.signer, publishAttempts: 2 });
    const event = note('publish me');

    const results = await p.publish(event, [ok.url, blocking.url, dead, gated.url]);
    const by = Object.fromEntries(results.map((x) => [x.relay, x]));
    expect(by[`${ok.url}/`]).toMatchObject({ ok: true, attempts: 1 });
    expect(by[`${blocking.url}/`]).toMatchObject({ ok: false, attempts: 1, message: expect.stringMatching(/^blocked:/) });
    expect(by[`${dead}/`]).toMatchObject({ ok: false, attempts: 2 });
    expect(by[`${gated.url}/`]).toMatchObject({ ok: true, attempts: 2 });
    expect(gated.authed.has(me.pubkey)).toBe(true);
    expect(ok.events.map((e) => e.id)).toEqual([event.id]);

    expect((await p.publish(event, [ok.url]))[0]).toMatchObject({ ok: true, message: expect.stringMatching(/^duplicate:/) });
    // The gated relay was an ad-hoc target: its connection is closed after publishing.
    await expect.poll(() => gated.connections).toBe(0);
    expect(ok.connections).toBe(1);
  });

  it('publishes to its own relays but opens nothing to a stranger-named private address, and caps stranger relays', async () => {
    const [own, stranger] = [await relay(), await relay()];
    const strict = new Outbound({ trustedOrigins: [own.url], maxRelays: 2 });
    cleanup.push(() => strict.close());
    const p = pool({ relays: [own.url], outbound: strict });
    const results = await p.publish(note('hi'), [own.url, stranger.url, 'ws://localhost:1', 'wss://a.invalid', 'wss://b.invalid']);
    expect(results.find((r) => r.relay === normalizeURL(own.url))).toMatchObject({ ok: true });
    for (const url of [stranger.url, 'ws://localhost:1']) {
      expect(results.find((r) => r.relay === normalizeURL(url))).toMatchObject({ ok: false, attempts: 0, message: expect.stringMatching(/^blocked: outbound/) });
    }
    expect(results).toHaveLength(3); // own + the first two others; the rest are beyond maxRelays
    expect(stranger.events).toEqual([]);
  });

  it('carries a NIP-17 and a NIP-04 conversation between two keys, replies in the same scheme', async () => {
    const r = await relay();
    const [alice, bot] = [keyPair(generateSecretKey()), keyPair(generateSecretKey())];
    const botPool = pool({ relays: [r.url], signer: bot.signer });
    const alicePool = pool({ relays: [r.url], signer: alice.signer });
    const botErrors: DmError[] = [];
    const filter = (pk: string) => [{ kinds: [4, 1059], '#p': [pk] }];
    botPool.subscribe(filter(bot.pubkey), async (e) => {
      let dm: IncomingDm;
      try { dm = openDm(e, bot.secretKey); } catch (err) { botErrors.push(err as DmError); return; }
      await botPool.publish(replyTo(dm, bot.secretKey, `you said: ${dm.text}`));
    }, { resumeMarginSec: 2 * 86_400 });
    const inbox: IncomingDm[] = [];
    alicePool.subscribe(filter(alice.pubkey), (e) => { inbox.push(openDm(e, alice.secretKey)); }, { resumeMarginSec: 2 * 86_400 });
    await expect.poll(() => r.authed.size).toBe(2);

    for (const scheme of ['nip17', 'nip04'] as const) {
      const results = await alicePool.publish(createDm(scheme, alice.secretKey, bot.pubkey, `balance via ${scheme}`));
      expect(results.every((x) => x.ok)).toBe(true);
    }
    await expect.poll(() => inbox.length).toBe(2);
    expect(inbox.map(({ scheme, sender, text }) => ({ scheme, sender, text })).sort((x, y) => x.scheme.localeCompare(y.scheme))).toEqual([
      { scheme: 'nip04', sender: bot.pubkey, text: 'you said: balance via nip04' },
      { scheme: 'nip17', sender: bot.pubkey, text: 'you said: balance via nip17' },
    ]);
    expect(botErrors).toEqual([]);

    // Mallory seals a rumor that claims to be Alice: the bot refuses it and answers nothing.
    const mallory = keyPair(generateSecretKey());
    const malloryPool = pool({ relays: [r.url], signer: mallory.signer });
    expect((await malloryPool.publish(forgedGiftWrap(alice.pubkey, mallory.secretKey, bot.pubkey)))[0]!.ok).toBe(true);
    await expect.poll(() => botErrors.map((e) => e.code)).toEqual(['forged-seal']);
    expect(r.events.filter((e) => e.tags.some((t) => t[1] === alice.pubkey))).toHaveLength(2);
  });
});
