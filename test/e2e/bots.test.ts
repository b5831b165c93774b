import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as nip19 from 'nostr-tools/nip19';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { botModules } from '../../bots/role.ts';
import { createTestDb, redisUrl, uniqueName, type TestDb } from '../support/db.ts';
import { Redis } from 'ioredis';
import { DmUser } from '../support/dm.ts';
import { MiniRelay } from '../support/mini-relay.ts';
import { runFlash } from '../support/process.ts';

let db: TestDb;
let relay: MiniRelay;
beforeAll(async () => { db = await createTestDb(); relay = await MiniRelay.start(); });
afterAll(async () => { await relay.stop(); await db.drop(); });

describe('flash start bots', () => {
  it('creates the DM bot key once, publishes its identity, and a standby takes over when the leader dies', { timeout: 90_000 }, async () => {
    const env = {
      DATABASE_URL: db.url, REDIS_URL: redisUrl(), REDIS_PREFIX: uniqueName('t'), MASTER_KEY: '22'.repeat(32),
      API_PORT: '0', NOSTR_RELAYS: relay.url,
      PUBLIC_URL: 'https://pay.example.com', BOT_DM_NAME: 'Flash Test',
      DATA_DIR: path.join(mkdtempSync(path.join(tmpdir(), 'flash-')), 'data'),
    };
    const first = await runFlash(['start', 'bots'], env);
    // The ready lines may arrive in more than one chunk.
    const dmLine = () => /DM bot: (npub1[a-z0-9]+)\n/.exec(first.output())?.[1];
    await expect.poll(dmLine).toBeDefined();
    const npub = dmLine();
    const pubkey = nip19.decode(npub!).data as string;

    await expect.poll(() => relay.events.filter((e) => e.pubkey === pubkey).map((e) => e.kind).sort()).toEqual([0, 10002, 10050]);
    const byKind = (k: number) => relay.events.find((e) => e.pubkey === pubkey && e.kind === k)!;
    expect(JSON.parse(byKind(0).content)).toEqual({
      name: 'Flash Test', about: expect.any(String), nip05: 'flash@pay.example.com', lud16: 'flash@pay.example.com',
    });
    expect(byKind(10050).tags).toEqual([['relay', `${relay.url}`]]);
    expect(byKind(10002).tags).toEqual([['r', `${relay.url}`]]);

    const second = await runFlash(['start', 'bots'], env);
    expect(second.output()).toContain(`DM bot: ${npub} (standby)`);
    expect(relay.connections).toBe(botModules.length);

    // With the default settings the lease is short (it bounds how long a dead leader is mourned).
    const redis = new Redis(env.REDIS_URL);
    const leaseKey = `${env.REDIS_PREFIX}:leader:bot:${pubkey}`;
    const [lease, pttl] = [await redis.get(leaseKey), await redis.pttl(leaseKey)];
    redis.disconnect();
    const fence = Number(/:(\d+)$/.exec(lease!)![1]);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(3000);

    // kill -9 the leader and write to the bot at once: the standby takes over when the dead
    // leader's lease runs out and answers the DM written meanwhile.
    const user = await DmUser.open(relay.url, pubkey);
    const killedAt = Date.now();
    first.child.kill('SIGKILL');
    await first.exited;
    // Twice the target (5 s), so a busy machine does not fail it; the old 15 s lease did.
    const reply = await user.request('balance', 'nip04', 10_000);
    const failoverMs = Date.now() - killedAt;
    console.log(JSON.stringify({ figure: 'bots failover, kill -9 to DM answered', ms: failoverMs }));
    expect(reply.text).toBe('Balance: 0 sats');
    user.close();
    // A new leader, with a larger fence: the dead one's writes would be refused.
    expect(second.output()).toContain(`"bot":"dm","key":"${leaseKey}","fence":${fence + 1},"msg":"leading"`);
    await expect.poll(() => relay.connections).toBe(botModules.length);

    const info = await runFlash(['bots', 'info'], env, /relays:/);
    expect(info.output()).toContain(`DM bot: ${npub}`);
    expect(await info.exited).toBe(0);

    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });
});
