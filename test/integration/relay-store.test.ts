// The event store against real PostgreSQL: group commit, durability before resolve, and
// isolation of a failing write from its batch neighbours.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalEvent } from '../../relay/messages.ts';
import { EventStore } from '../../relay/store.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { newKey, sign } from '../support/relay.ts';

let db: TestDb;
beforeAll(async () => { db = await createTestDb(); });
afterAll(async () => db.drop());

describe('EventStore', () => {
  it('group-commits concurrent writes into few transactions, each visible once its promise settles', async () => {
    const store = new EventStore(db.sql, { batchMs: 20, batchMax: 1000 });
    const k = newKey();
    const events = Array.from({ length: 300 }, (_, i) => canonicalEvent(sign(k, { kind: 1, content: String(i) })));
    const outcomes = await Promise.all(events.map(async (acc) => {
      const outcome = await store.write(acc);
      // Seen from another connection as soon as the write settles: committed, not just queued.
      const seen = await db.sql`select 1 from relay_events where id = ${Buffer.from(acc.event.id, 'hex')}`;
      return [outcome, seen.length];
    }));
    expect(outcomes.every(([o, seen]) => o === 'stored' && seen === 1)).toBe(true);
    // Rows written by one transaction share its xmin: 300 events went in a handful of commits.
    const distinct = await db.sql<{ n: number }[]>`select count(distinct xmin::text)::int as n from relay_events where pubkey = ${Buffer.from(k.pk, 'hex')}`;
    expect(distinct[0]!.n).toBeLessThan(30);
  });

  it('keeps a failing write from failing the others in its batch', async () => {
    const store = new EventStore(db.sql, { batchMs: 20, batchMax: 1000 });
    const k = newKey();
    const good = Array.from({ length: 5 }, (_, i) => canonicalEvent(sign(k, { kind: 1, content: `ok ${i}` })));
    // PostgreSQL text cannot hold NUL, so this addressable key cannot be stored.
    const bad = canonicalEvent(sign(k, { kind: 30000, tags: [['d', 'nul\u0000key']], content: '' }));
    const results = await Promise.allSettled([...good, bad].map((acc) => store.write(acc)));
    expect(results.slice(0, 5).map((r) => r.status === 'fulfilled' && r.value)).toEqual(Array(5).fill('stored'));
    expect(results[5]!.status).toBe('rejected');
  });

  it('reports duplicates within one batch and across batches', async () => {
    const store = new EventStore(db.sql, { batchMs: 20, batchMax: 1000 });
    const acc = canonicalEvent(sign(newKey(), { kind: 1, content: 'dup' }));
    expect((await Promise.all([store.write(acc), store.write(acc)])).sort()).toEqual(['duplicate', 'stored']);
    expect(await store.write(acc)).toBe('duplicate');
  });

  it('refuses, in a batch of regular events, what its author deleted or vanished from, and only that', async () => {
    const store = new EventStore(db.sql, { batchMs: 20, batchMax: 1000 });
    const [author, stranger, gone] = [newKey(), newKey(), newKey()];
    const at = Math.floor(Date.now() / 1000) - 10;
    const deleted = canonicalEvent(sign(author, { kind: 1, content: 'deleted', created_at: at }));
    const strangersTarget = canonicalEvent(sign(author, { kind: 1, content: 'a stranger asked', created_at: at }));
    const old = canonicalEvent(sign(gone, { kind: 4, content: 'before vanishing', created_at: at }));
    const later = canonicalEvent(sign(gone, { kind: 4, content: 'after vanishing', created_at: at + 20 }));
    await store.write(canonicalEvent(sign(author, { kind: 5, tags: [['e', deleted.event.id]], content: '' })));
    await store.write(canonicalEvent(sign(stranger, { kind: 5, tags: [['e', strangersTarget.event.id]], content: '' })));
    await store.write({ ...canonicalEvent(sign(gone, { kind: 62, tags: [['relay', 'ALL_RELAYS']], content: '', created_at: at + 5 })), vanish: true });
    const fresh = canonicalEvent(sign(author, { kind: 1, content: 'fresh' }));
    const outcomes = await Promise.all([deleted, strangersTarget, old, later, fresh, fresh].map((acc) => store.write(acc)));
    expect(outcomes).toEqual(['deleted', 'stored', 'vanished', 'stored', 'stored', 'duplicate']);
  });
});
