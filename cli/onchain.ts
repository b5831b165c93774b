// On-chain commands: `flash withdraw` for the operator; `flash dev mine|send-to-address|address|
// reorg` (regtest: the outside world's wallet on our node); `flash cold import|psbt|submit`, the
// cold storage ceremony. Like `flash dev pay`, these talk to the node directly: they are the
// operator's hands, not the service's money path (which runs only in the workers).
import { readFile, writeFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import type { Config } from '../core/config.ts';
import * as accounts from '../core/ledger/accounts.ts';
import { parseDescriptor, publicDescriptor } from '../core/onchain/descriptor.ts';
import { networks, satToBtc } from '../core/onchain/network.ts';
import { withdraw } from '../core/onchain/withdraw.ts';
import { parsePubkey } from '../core/nostr/keys.ts';
import { chainClient, OUTSIDE_WALLET } from '../workers/onchain/embedded.ts';
import { coldToHotPsbt, importColdWallet, submitColdPsbts } from '../workers/onchain/cold.ts';
import { withContext } from './with-context.ts';

const sats = (v: string) => {
  if (!/^[1-9]\d{0,15}$/.test(v)) throw new InvalidArgumentError('a whole number of sats');
  return BigInt(v);
};
const positive = (v: string) => {
  if (!/^[1-9]\d{0,3}$/.test(v)) throw new InvalidArgumentError('a number from 1 to 9999');
  return Number(v);
};

export function onchainCommands(program: Command, config: () => Config): void {
  program.command('withdraw')
    .description('withdraw on-chain from an account (queued for the next batch)')
    .requiredOption('--account <id|npub|hex>', 'the paying account (id) or user (public key)')
    .requiredOption('--address <address>', 'where to')
    .requiredOption('--amount <sats>', 'amount in sats', sats)
    .option('--speed <speed>', 'fast | normal | slow', 'normal')
    .option('--key <key>', 'idempotency key (default: a new one)')
    .action(async (opts: { account: string; address: string; amount: bigint; speed: 'fast' | 'normal' | 'slow'; key?: string }) => withContext(config(), async (ctx) => {
      const accountId = /^[0-9a-f-]{36}$/.test(opts.account) ? opts.account : (await accounts.forPubkey(ctx.sql, parsePubkey(opts.account))).id;
      const r = await withdraw(ctx, { accountId, address: opts.address, amountSat: opts.amount, speed: opts.speed, idempotencyKey: opts.key ?? `cli:${Date.now()}` });
      console.log(JSON.stringify(r, (_, v) => (typeof v === 'bigint' ? v.toString() : v)));
    }));

  const dev = program.commands.find((c) => c.name() === 'dev') ?? program.command('dev');
  const outside = () => {
    const c = config();
    if (c.NETWORK !== 'regtest') throw new Error('flash dev works on regtest only');
    return { chain: chainClient({ ...c, BITCOIND_WALLET: OUTSIDE_WALLET }), config: c };
  };
  const run = (fn: (chain: ReturnType<typeof chainClient>) => Promise<string>) => async () => {
    const { chain } = outside();
    await chain.openWallet();
    console.log(await fn(chain));
  };
  dev.command('mine')
    .description('mine blocks on the regtest node (coinbase to the outside wallet)')
    .argument('[blocks]', 'how many', positive, 1)
    .action(async (blocks: number) => run(async (chain) => {
      const hashes = await chain.call('node', 'generatetoaddress', blocks, await chain.newAddress('hot')) as string[];
      return `mined ${hashes.length} block(s); tip ${hashes.at(-1)}`;
    })());
  dev.command('send-to-address')
    .description('pay an address from the outside wallet (a deposit from the world)')
    .argument('<address>').argument('<sats>', 'amount in sats', sats)
    .action(async (address: string, amount: bigint) => run(async (chain) => String(await chain.call('hot', 'sendtoaddress', address, satToBtc(amount))))());
  dev.command('address')
    .description('a fresh address of the outside wallet, to withdraw to')
    .action(async () => run((chain) => chain.newAddress('hot'))());
  dev.command('reorg')
    .description('replace the last <depth> blocks with depth + 1 new ones (invalidateblock, then mine)')
    .argument('<depth>', 'blocks to disconnect', positive)
    .action(async (depth: number) => run(async (chain) => {
      const height = (await chain.chainInfo()).blocks;
      const first = await chain.call('node', 'getblockhash', height - depth + 1) as string;
      await chain.call('node', 'invalidateblock', first);
      await chain.call('node', 'generatetoaddress', depth + 1, await chain.newAddress('hot'));
      return `reorganised ${depth} block(s); height ${(await chain.chainInfo()).blocks}`;
    })());

  const cold = program.command('cold').description('multisig cold storage: import, PSBTs for the signers, submit');
  cold.command('import')
    .description('import the watch-only cold wallet: wsh(sortedmulti(m, xpub/0/*, …)) and its change twin (…/1/*)')
    .argument('<receive-descriptor>').argument('<change-descriptor>')
    .action(async (receive: string, change: string) => withContext(config(), async (ctx) => {
      const net = networks[ctx.config.NETWORK];
      for (const d of [receive, change]) {
        const parsed = parseDescriptor(d, net);
        if (parsed.type !== 'wsh-sortedmulti' || parsed.keys.some((k) => k.key.privateKey)) throw new Error('cold descriptors are wsh(sortedmulti(…)) of public keys only');
      }
      await importColdWallet(ctx, chainClient(ctx.config), publicDescriptor(parseDescriptor(receive, net)), publicDescriptor(parseDescriptor(change, net)));
      console.log('cold wallet imported');
    }));
  cold.command('psbt')
    .description('write a PSBT (BIP-174) moving <sats> from cold to the hot wallet, for the signers')
    .requiredOption('--amount <sats>', 'amount in sats', sats)
    .option('--out <file>', 'write the base64 PSBT here (default: stdout)')
    .action(async (opts: { amount: bigint; out?: string }) => withContext(config(), async (ctx) => {
      const { psbt, feeSat } = await coldToHotPsbt(ctx, chainClient(ctx.config), opts.amount);
      if (opts.out) await writeFile(opts.out, `${psbt}\n`);
      else console.log(psbt);
      console.error(`fee ${feeSat} sat; have the signers sign it, then: flash cold submit <signed.psbt>…`);
    }));
  cold.command('submit')
    .description('combine the signers\' PSBTs, finalize and broadcast')
    .argument('<psbts...>', 'files with base64 PSBTs')
    .action(async (files: string[]) => withContext(config(), async (ctx) => {
      const psbts = await Promise.all(files.map(async (f) => (await readFile(f, 'utf8')).trim()));
      console.log(await submitColdPsbts(ctx, chainClient(ctx.config), psbts));
    }));
}
