// Every read path applies the NIP-42 gate on DM kinds, including COUNT and NIP-77 negentropy
// with filters that name no kinds; negentropy sessions are bounded per connection and in all.
import { randomBytes } from 'node:crypto';
import { makeAuthEvent } from 'nostr-tools/nip42';
import { nip77 } from 'nostr-tools';
import { finalizeEvent } from 'nostr-tools/pure';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKey, sign, startTestRelay, WireClient, type Key, type TestRelay } from '../support/relay.ts';

let relay: TestRelay;
const [alice, bob] = [newKey(), newKey()];
const dm = sign(alice, { kind: 4, tags: [['p', bob.pk]], content: 'who talks to whom?iv=x' });
const note = sign(alice, { kind: 1, tags: [['p', bob.pk]], content: 'public mention' });

beforeAll(async () => {
  relay = await startTestRelay({ RELAY_NEG_MAX_SESSIONS: '2', RELAY_NEG_MAX_SESSIONS_TOTAL: '3' });
  const c = await WireClient.open(relay.url);
  for (const e of [dm, note]) expect(await c.publish(e)).toEqual([true, '']);
  c.close();
});
afterAll(async () => relay.close());

async function authed(key: Key): Promise<WireClient> {
  const c = await WireClient.open(relay.url);
  await c.query('gated', { kinds: [4] });
  await c.next((m) => m[0] === 'AUTH');
  const auth = finalizeEvent(makeAuthEvent(relay.url, c.challenge), key.sk);
  c.send(['AUTH', auth]);
  expect((await c.next((m) => m[0] === 'OK' && m[1] === auth.id))[2]).toBe(true);
  return c;
}

async function count(c: WireClient, ...filters: object[]): Promise<number> {
  const from = c.received.length;
  c.send(['COUNT', 'n', ...filters]);
  return ((await c.next((m) => m[0] === 'COUNT' && m[1] === 'n', from))[2] as { count: number }).count;
}

/**
 * The ids the relay tells a client it lacks, from its first NEG-MSG. The client holds enough
 * made-up ids to open with fingerprints (a short set goes as a list, which the relay
 * answers with nothing); the relay then answers each range with its own ids.
 */
async function negNeeds(c: WireClient, subId: string, filter: object): Promise<string[] | string> {
  const storage = new nip77.NegentropyStorageVector();
  for (let i = 0; i < 200; i++) storage.insert(1_000_000 + i, randomBytes(32).toString('hex'));
  storage.seal();
  const neg = new nip77.Negentropy(storage);
  const from = c.received.length;
  c.send(['NEG-OPEN', subId, filter, neg.initiate()]);
  const reply = await c.next((m) => (m[0] === 'NEG-MSG' || m[0] === 'NEG-ERR') && m[1] === subId, from);
  if (reply[0] === 'NEG-ERR') return reply[2] as string;
  const need: string[] = [];
  neg.reconcile(reply[2] as string, undefined, (id) => need.push(id));
  return need;
}

describe('DM gate on COUNT and negentropy', () => {
  it('does not count direct messages for a stranger when the filter names no kinds', async () => {
    const anon = await WireClient.open(relay.url);
    expect(await count(anon, { '#p': [bob.pk], authors: [alice.pk] })).toBe(1); // the note only
    expect(await count(anon, { '#p': [bob.pk] })).toBe(1); // NIP-45 HyperLogLog path
    expect(await count(anon, { authors: [alice.pk] }, { ids: [dm.id] })).toBe(1);
    const asBob = await authed(bob);
    expect(await count(asBob, { '#p': [bob.pk], authors: [alice.pk] })).toBe(2);
    const asAlice = await authed(alice);
    expect(await count(asAlice, { ids: [dm.id] })).toBe(1);
    for (const c of [anon, asBob, asAlice]) c.close();
  });

  it('does not list direct message ids to a stranger through NEG-OPEN', async () => {
    const anon = await WireClient.open(relay.url);
    expect(await negNeeds(anon, 'a', { '#p': [bob.pk] })).toEqual([note.id]);
    anon.close();
    const asBob = await authed(bob);
    expect(((await negNeeds(asBob, 'b', { '#p': [bob.pk] })) as string[]).sort()).toEqual([dm.id, note.id].sort());
    asBob.close();
  });

  it('bounds negentropy sessions per connection and per process', async () => {
    const c1 = await WireClient.open(relay.url);
    expect(await negNeeds(c1, 's1', { authors: [alice.pk] })).toHaveLength(1);
    expect(await negNeeds(c1, 's2', { authors: [alice.pk] })).toHaveLength(1);
    expect(await negNeeds(c1, 's3', { authors: [alice.pk] })).toMatch(/^blocked: at most 2 negentropy sessions per connection/);
    // Reopening an id replaces its session rather than adding one.
    expect(await negNeeds(c1, 's2', { authors: [alice.pk] })).toHaveLength(1);
    const c2 = await WireClient.open(relay.url);
    expect(await negNeeds(c2, 't1', { authors: [alice.pk] })).toHaveLength(1);
    expect(await negNeeds(c2, 't2', { authors: [alice.pk] })).toMatch(/^rate-limited:/);
    c1.send(['NEG-CLOSE', 's1']);
    expect(await negNeeds(c2, 't2', { authors: [alice.pk] })).toHaveLength(1);
    // A closed connection frees its sessions.
    const gone = new Promise((resolve) => c1.ws.once('close', resolve));
    c1.close();
    await gone;
    await expect.poll(() => relay.engine.negSessions).toBe(2);
    c2.close();
  });
});
