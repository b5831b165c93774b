// The relay's signature checks: lone events on the calling thread, bursts on worker threads,
// the same verdicts either way; events signed in this process are known without the maths.
import { afterAll, describe, expect, it } from 'vitest';
import { finalizeEvent } from '../../core/nostr/secp.ts';
import { canonicalEvent } from '../../relay/messages.ts';
import { VerifyPool } from '../../relay/verify-pool.ts';
import { newKey, sign } from '../support/relay.ts';

const pool = new VerifyPool(2);
afterAll(() => pool.close());

const k = newKey();
const good = () => canonicalEvent(sign(k, { kind: 1, content: `hello ${Math.random()}` }));
const badSig = () => { const e = sign(k, { kind: 1, content: 'forged' }); return canonicalEvent({ ...e, sig: e.sig.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')) }); };
const badId = () => { const e = sign(k, { kind: 1, content: 'original' }); return canonicalEvent({ ...e, content: 'altered' }); };

describe('VerifyPool', () => {
  it('gives each event of a burst its own verdict (worker threads)', async () => {
    const events = Array.from({ length: 30 }, (_, i) => [good, badSig, badId][i % 3]!());
    const verdicts = await Promise.all(events.map((e) => pool.verify(e)));
    expect(verdicts).toEqual(Array.from({ length: 30 }, (_, i) => [undefined, 'bad signature', 'event id does not match its content'][i % 3]));
  });

  it('checks a lone event (calling thread) the same way', async () => {
    expect(await pool.verify(good())).toBeUndefined();
    expect(await pool.verify(badSig())).toBe('bad signature');
    expect(await pool.verify(badId())).toBe('event id does not match its content');
  });

  it('loses no event when a thread dies, and keeps checking with a new one', async () => {
    // A batch a thread cannot read kills it (an uncaught error in the thread).
    const events = Array.from({ length: 12 }, (_, i) => (i % 2 ? good() : badSig()));
    const broken = events.map((e) => ({ ...e, raw: '{not json' }));
    expect(await Promise.all(broken.map((e) => pool.verify(e)))).toEqual(events.map((_, i) => (i % 2 ? undefined : 'bad signature')));
    const after = Array.from({ length: 12 }, (_, i) => (i % 2 ? good() : badId()));
    expect(await Promise.all(after.map((e) => pool.verify(e)))).toEqual(after.map((_, i) => (i % 2 ? undefined : 'event id does not match its content')));
  });

  it('accepts what this process signed, but not once altered', async () => {
    const ours = finalizeEvent({ kind: 1059, created_at: 1_700_000_000, tags: [['p', k.pk]], content: 'wrapped' }, newKey().sk);
    expect(await pool.verify(canonicalEvent({ ...ours }))).toBeUndefined();
    expect(await pool.verify(canonicalEvent({ ...ours, content: 'rewrapped' }))).toBe('event id does not match its content');
  });
});
