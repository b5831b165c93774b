// DM command round trip: many users at once each send a command and wait for the reply, in
// rounds; latency = from publishing the DM to decrypting the bot's reply. Commands: `balance`,
// and `send 1 sat` to the next user (an internal transfer; the receiver's notice is extra
// traffic the bot carries meanwhile). Prints JSON with p50/p99 per scheme and command.
// The relay must exempt this machine's address (RELAY_RATE_EXEMPT_IPS=127.0.0.1): all users share it.
//
//   node bench/dm/roundtrip.ts --relay ws://127.0.0.1:7777 --bot <npub | hex> [--users 50]
//     [--rounds 20] [--schemes nip04,nip17] [--commands balance,send] [--fund-sats 1000]
//     [--client fast | nostr-tools] [--cpu-of 'flash.ts start,postgres: 15/main: postgres flash']
//
// The service's machine is usually shared, so the latencies swing with its other load; the
// CPU each round trip costs does not. `--cpu-of` names processes (by a substring of their
// command line, Linux /proc) whose CPU time is reported per round trip of each run, next to
// this process's own (`cpuMsPerRoundTrip`).
//
// The users run in this one process. `--client fast` (default) is fast-client.ts: the test
// client with the project's crypto (native libsecp256k1 signatures and ECDH, cached shared secrets), as
// cheap as a client can be, so that the figure is the service's; real users' clients run on
// their own devices. `--client nostr-tools` is the end-to-end tests' client as it is (pure-JS
// maths: ~10-25 ms of this machine's CPU per round trip on the bench side alone).
//
// `send` needs money: each user asks for an invoice over DM, which the fake outside node pays;
// that needs the service's DATABASE_URL and MASTER_KEY in the environment (regtest, fake
// backend). Start the service with DM_RATE_BURST / DM_RATE_PER_MINUTE above the rounds.
import { loadConfig } from '../../core/config.ts';
import { closeContext, createContext } from '../../core/context.ts';
import { createLogger } from '../../core/log.ts';
import { parsePubkey } from '../../core/nostr/keys.ts';
import { EXTERNAL_FAKE_NODE } from '../../workers/lightning/backend.ts';
import { FakeLightningNode } from '../../workers/lightning/fake.ts';
import { DmClient, type Scheme } from '../../test/support/dm-client.ts';
import { FastDmClient } from './fast-client.ts';
import { cpuNow, cpuPerOp } from '../cpu.ts';
import { options, percentiles } from '../relay/common.ts';

const o = options({
  relay: { type: 'string', default: 'ws://127.0.0.1:7777' },
  bot: { type: 'string' },
  users: { type: 'string', default: '50' },
  rounds: { type: 'string', default: '20' },
  schemes: { type: 'string', default: 'nip04,nip17' },
  commands: { type: 'string', default: 'balance,send' },
  'fund-sats': { type: 'string', default: '1000' },
  client: { type: 'string', default: 'fast' },
  'cpu-of': { type: 'string', default: '' },
});
if (!o.bot) throw new Error('--bot <npub | hex> is required (see `flash bots info`)');
const bot = parsePubkey(o.bot);
const userCount = Number(o.users);
const rounds = Number(o.rounds);
const schemes = o.schemes!.split(',') as Scheme[];
const commands = o.commands!.split(',');
if (o.client !== 'fast' && o.client !== 'nostr-tools') throw new Error('--client is fast or nostr-tools');
const Client = o.client === 'fast' ? FastDmClient : DmClient;

/** Funds every user: `invoice` over DM, paid by the fake outside node; waits for the notice. */
async function fund(users: DmClient[], scheme: Scheme): Promise<void> {
  const ctx = await createContext(loadConfig(), { log: createLogger({ level: 'warn' }), migrate: false });
  try {
    const payer = await FakeLightningNode.open(ctx, EXTERNAL_FAKE_NODE);
    await Promise.all(users.map(async (u) => {
      const reply = await u.request(`invoice ${o['fund-sats']}`, scheme);
      const bolt11 = /(lnbcrt\S+)/.exec(reply.text)?.[1];
      if (!bolt11) throw new Error(`no invoice in the reply: ${reply.text}`);
      const before = u.inbox.length;
      const paid = await payer.payInvoice({ paymentRequest: bolt11, maxFeeMsat: 100_000n, timeoutSeconds: 30 });
      if (paid.status !== 'succeeded') throw new Error(`funding failed: ${JSON.stringify(paid)}`);
      for (let i = 0; i < 300 && !u.inbox.slice(before).some((m) => /⚡/.test(m.text)); i++) await new Promise((r) => setTimeout(r, 50));
    }));
    await payer.close();
  } finally {
    await closeContext(ctx);
  }
}

const cpuOf = o['cpu-of']!.split(',').filter(Boolean);
/** Every user runs `rounds` requests one after another, all users at once. */
async function measure(users: DmClient[], scheme: Scheme, command: (i: number) => string): Promise<{ latencies: number[]; errors: string[] }> {
  const latencies: number[] = [];
  const errors: string[] = [];
  await Promise.all(users.map(async (u, i) => {
    for (let r = 0; r < rounds; r++) {
      const start = performance.now();
      try {
        const reply = await u.request(command(i), scheme);
        latencies.push(performance.now() - start);
        if (/^(Too many|Something went wrong|Not enough)/.test(reply.text)) errors.push(reply.text);
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
  }));
  return { latencies, errors };
}

const results: Record<string, Record<string, unknown>> = {};
for (const scheme of schemes) {
  const users = await Promise.all(Array.from({ length: userCount }, () => Client.open(o.relay!, bot)));
  if (scheme === 'nip17') await Promise.all(users.map((u) => u.announceDmRelays([o.relay!])));
  // Warm-up: accounts are created and DM relays looked up on first contact, not measured.
  await Promise.all(users.map((u) => u.request('balance', scheme)));
  results[scheme] = {};
  if (commands.includes('send')) await fund(users, scheme);
  for (const name of commands) {
    const command = name === 'send' ? (i: number) => `send 1 ${users[(i + 1) % users.length]!.pk}` : () => 'balance';
    const before = cpuNow(cpuOf);
    const { latencies, errors } = await measure(users, scheme, command);
    const cpuMsPerRoundTrip = cpuPerOp(before, cpuNow(cpuOf), latencies.length);
    results[scheme]![name] = { ms: percentiles(latencies), cpuMsPerRoundTrip, errors: errors.length, firstError: errors[0] };
  }
  for (const u of users) u.close();
}
console.log(JSON.stringify({ users: userCount, rounds, relay: o.relay, client: o.client, results }, null, 2));
process.exit(0);
