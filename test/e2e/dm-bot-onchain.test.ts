// The DM bot's on-chain commands, end to end over Nostr DMs: `address`, a deposit seen then
// confirmed (a DM at each step), `withdraw` with its fee quote, "yes", and the outcome DM when
// the batch confirms; a wrong-network address refused. The on-chain rail runs against the
// bitcoind stand-in through the production adapter.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningRole } from '../../core/role.ts';
import { onchainWorkers } from '../../workers/onchain/module.ts';
import { startWorkers } from '../../workers/role.ts';
import { startBitcoindSim, SIM_PASSWORD, SIM_USER, type BitcoindSim } from '../sims/bitcoind/sim.ts';
import { startDmService, type DmService } from '../support/dm.ts';

let sim: BitcoindSim;
let svc: DmService;
let onchain: RunningRole;

beforeAll(async () => {
  sim = await startBitcoindSim();
  svc = await startDmService({
    ONCHAIN_BACKEND: 'bitcoind', BITCOIND_RPC_URL: sim.url, BITCOIND_RPC_USER: SIM_USER, BITCOIND_RPC_PASSWORD: SIM_PASSWORD,
    ONCHAIN_SCAN_INTERVAL_MS: '100', ONCHAIN_BATCH_THRESHOLD: '1', ONCHAIN_ADDRESS_GAP: '100',
  });
  onchain = await startWorkers(svc.wallet.ctx, [onchainWorkers()]);
});
afterAll(async () => {
  await onchain?.stop();
  await svc?.close();
  await sim?.close();
});

it('address → deposit pending → confirmed → withdraw with a quote and "yes" → sent', { timeout: 60_000 }, async () => {
  const u = await svc.user();
  const reply = await u.ask('address', 'nip17');
  const address = /(bcrt1[02-9ac-hj-np-z]+)/.exec(reply)![1]!;
  expect(reply).toContain(`bitcoin:${address}`);
  // Asking again before anything arrived gives the same address; "address new" a fresh one.
  expect(await u.ask('address', 'nip17')).toContain(address);
  expect(await u.ask('address new', 'nip17')).not.toContain(address);

  await sim.send(address, 200_000n);
  expect((await u.waitFor(/Deposit of .* seen/)).text).toMatch(/0 confirmations/);
  await sim.mine(1);
  await u.waitFor(/confirmed: it is in your balance/);
  expect(await u.ask('balance', 'nip17')).toMatch(/200,000/);

  expect(await u.ask('withdraw 50k bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', 'nip17')).toMatch(/another bitcoin network/);
  expect(await u.ask('withdraw 50k bcrt1qnotanaddress', 'nip17')).toMatch(/not a valid bitcoin address/);

  const to = await sim.outside.command('getnewaddress') as string;
  expect(await u.ask(`withdraw 50k ${to} fast`, 'nip17')).toMatch(/Withdraw 50,000 .* fee at most .* Reply yes or no/);
  expect(await u.ask('yes', 'nip17')).toMatch(/Withdrawal queued/);
  await expect.poll(() => sim.node.chain.mempool.size).toBeGreaterThan(0);
  await sim.mine(1);
  expect((await u.waitFor(/Paid 50,000/)).text).toMatch(/fee/);
});
