// The DM bot's claims against real PostgreSQL: a DM is taken once, the sender's settings come
// back with it, and their scheme is kept up to date without touching an unchanged row.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountIds } from '../../core/ledger/account-ids.ts';
import { claimMessage, getUser, setLang } from '../../bots/dm/store.ts';
import * as accounts from '../../core/ledger/accounts.ts';
import { createTestDb, type TestDb } from '../support/db.ts';
import { newKey } from '../support/relay.ts';

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
  // postgres.js learns the array types on its first query; one built before that sends a bad array.
  await db.sql`select 1`;
});
afterAll(async () => db.drop());

const id = () => newKey().pk;
const xmin = async (pubkey: string) => (await db.sql<{ x: string }[]>`select xmin::text as x from dm_users where pubkey = ${pubkey}`)[0]?.x;

describe('claimMessage', () => {
  it('takes each id once, with the sender\'s settings, and records the scheme they wrote in', async () => {
    const sender = newKey().pk;
    const [wrap, rumor] = [id(), id()];
    expect(await claimMessage(db.sql, [wrap, rumor], sender, 'nip17')).toEqual({ lang: undefined, scheme: 'nip17' });
    expect(await getUser(db.sql, sender)).toEqual({ lang: undefined, scheme: 'nip17' });
    // Again, or re-wrapped (same rumor, new wrap): not new.
    expect(await claimMessage(db.sql, [wrap, rumor], sender, 'nip17')).toBeUndefined();
    expect(await claimMessage(db.sql, [id(), rumor], sender, 'nip17')).toBeUndefined();

    await setLang(db.sql, sender, 'es');
    const before = await xmin(sender);
    expect(await claimMessage(db.sql, [id()], sender, 'nip17')).toEqual({ lang: 'es', scheme: 'nip17' });
    expect(await xmin(sender)).toBe(before); // same scheme: the row was not written
    expect(await claimMessage(db.sql, [id()], sender, 'nip04')).toEqual({ lang: 'es', scheme: 'nip04' });
    expect(await getUser(db.sql, sender)).toEqual({ lang: 'es', scheme: 'nip04' });
  });

  it('lets exactly one of two concurrent claims of the same DM through', async () => {
    const sender = newKey().pk;
    const dm = id();
    const results = await Promise.all([claimMessage(db.sql, [dm], sender, 'nip04'), claimMessage(db.sql, [dm], sender, 'nip04')]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await getUser(db.sql, sender)).toEqual({ lang: undefined, scheme: 'nip04' });
  });

  it('gives each claim of a burst from many senders its own answer', async () => {
    // Claims made in one tick share a statement: new senders, a known one switching scheme with
    // a language set, a repeat, and a re-wrapped DM (new wrap, known rumor).
    const [fresh, known, repeat, rewrap] = [newKey().pk, newKey().pk, newKey().pk, newKey().pk];
    await claimMessage(db.sql, [id()], known, 'nip04');
    await setLang(db.sql, known, 'ja');
    const old = id();
    const rumor = id();
    await claimMessage(db.sql, [old], repeat, 'nip04');
    await claimMessage(db.sql, [id(), rumor], rewrap, 'nip17');
    const results = await Promise.all([
      claimMessage(db.sql, [id(), id()], fresh, 'nip17'),
      claimMessage(db.sql, [id()], known, 'nip17'),
      claimMessage(db.sql, [old], repeat, 'nip04'),
      claimMessage(db.sql, [id(), rumor], rewrap, 'nip17'),
    ]);
    expect(results).toEqual([{ lang: undefined, scheme: 'nip17' }, { lang: 'ja', scheme: 'nip17' }, undefined, undefined]);
    expect(await Promise.all([fresh, known, repeat, rewrap].map((p) => getUser(db.sql, p)))).toEqual([
      { lang: undefined, scheme: 'nip17' }, { lang: 'ja', scheme: 'nip17' }, { lang: undefined, scheme: 'nip04' }, { lang: undefined, scheme: 'nip17' },
    ]);
  });
});

describe('AccountIds', () => {
  it('makes a pubkey\'s account once and remembers it; knows only what it was asked for', async () => {
    const ids = new AccountIds(db.sql);
    const pk = newKey().pk;
    expect(ids.known(pk)).toBeUndefined();
    const id = await ids.forPubkey(pk);
    expect((await accounts.findByPubkey(db.sql, pk))?.id).toBe(id);
    expect(ids.known(pk)).toBe(id);
    expect(await new AccountIds(db.sql).forPubkey(pk)).toBe(id);
  });
});
