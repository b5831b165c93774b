// Risk commands: `flash account level|limits|freeze|unfreeze`, `flash pause|resume`,
// `flash reserves`, `flash audit`. Each change is recorded in the audit log as `cli:<os user>`.
import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import { InvalidArgumentError, type Command } from 'commander';
import { nip19 } from 'nostr-tools';
import type { Config } from '../core/config.ts';
import type { Context } from '../core/context.ts';
import * as accounts from '../core/ledger/accounts.ts';
import { freeze, limitsReport, setLevel, setLimits, unfreeze } from '../core/risk/accounts.ts';
import { auditLog, type Actor } from '../core/risk/audit.ts';
import { limitsSchema, type Limits } from '../core/risk/limits.ts';
import { lastReport, type SolvencyReport } from '../core/risk/solvency.ts';
import { pause, resume, riskState } from '../core/risk/state.ts';
import { HEX32 } from '../core/hex.ts';
import { withContext } from './with-context.ts';

const actor = (): Actor => ({ who: `cli:${userInfo().username}`, via: 'cli' });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const sats = (m: bigint | undefined) => (m === undefined ? 'no limit' : `${(m / 1000n).toLocaleString('en')} sat`);

/** An npub, a hex pubkey (its user account, made if new) or an account id → the account id. */
async function accountOf(ctx: Context, who: string): Promise<string> {
  if (UUID.test(who)) {
    const a = await accounts.get(ctx.sql, who.toLowerCase());
    if (!a || a.kind === 'system') throw new InvalidArgumentError(`no holder account ${who}`);
    return a.id;
  }
  let hex = who.toLowerCase();
  if (hex.startsWith('npub1')) {
    const d = nip19.decode(hex);
    if (d.type !== 'npub') throw new InvalidArgumentError('not an npub');
    hex = d.data;
  }
  if (!HEX32.test(hex)) throw new InvalidArgumentError('give an npub, a 64-hex pubkey or an account id');
  return (await accounts.forPubkey(ctx.sql, hex)).id;
}

const satsArg = (v: string): bigint => {
  if (!/^\d{1,15}$/.test(v)) throw new InvalidArgumentError('expected a whole number of sat');
  return BigInt(v) * 1000n;
};

function dailyArg(v: string, prev: Record<string, bigint> = {}): Record<string, bigint> {
  const m = /^([a-z][a-z0-9_]*|\*)(?::(outgoing))?=(\d{1,15})$/.exec(v);
  if (!m) throw new InvalidArgumentError('expected <rail>=<sat> or <rail>:outgoing=<sat>, e.g. lightning=50000 or *=100000');
  return { ...prev, [`${m[1]}:outgoing`]: BigInt(m[3]!) * 1000n };
}

function printReport(r: SolvencyReport): void {
  console.log(`solvency at ${r.at.toISOString()}`);
  console.log(`  liabilities ${sats(r.liabilities.totalMsat)}: holders ${sats(r.liabilities.holdersMsat)}, pending payments ${sats(r.liabilities.pendingMsat)}, eCash ${sats(r.liabilities.ecashMsat)}`);
  console.log(`  assets      ${sats(r.assetsMsat)}: ${Object.entries(r.assets).map(([k, v]) => `${k} ${sats(v)}`).join(', ') || 'none read'}`);
  console.log(r.deficitMsat > 0n ? `  SHORT by ${sats(r.deficitMsat)}` : `  covered, ${sats(-r.deficitMsat)} to spare`);
}

const json = (v: unknown) => JSON.stringify(v, (_, x: unknown) => (typeof x === 'bigint' ? x.toString() : x), 2);

export function riskCommands(program: Command, config: () => Config): void {
  const account = program.commands.find((c) => c.name() === 'account')!;
  account.command('level')
    .description('set an account\'s level (0 = new, unverified; its limits come from RISK_LEVELS)')
    .argument('<who>', 'npub, hex pubkey or account id')
    .argument('<level>', '0-9, or "default"', (v) => {
      if (v === 'default') return null;
      if (!/^[0-9]$/.test(v)) throw new InvalidArgumentError('a level is 0-9 or "default"');
      return Number(v);
    })
    .option('--reason <text>', 'recorded in the audit log')
    .action(async (who: string, level: number | null, o: { reason?: string }) => withContext(config(), async (ctx) => {
      const id = await accountOf(ctx, who);
      await setLevel(ctx.sql, actor(), id, level, o.reason ?? null);
      console.log(`account ${id}: level ${level ?? `default (${ctx.config.RISK_DEFAULT_LEVEL})`}`);
    }));
  account.command('limits')
    .description('show an account\'s limits and its last 24 hours; with options, override its level\'s limits')
    .argument('<who>', 'npub, hex pubkey or account id')
    .option('--max-payment <sat>', 'largest single payment', satsArg)
    .option('--max-balance <sat>', 'largest balance', satsArg)
    .option('--daily <rail=sat>', 'rolling 24 h limit on a rail\'s outgoing payments (repeatable; `internal` = transfers, `*` = any other rail)', dailyArg)
    .option('--clear', 'drop every override (back to the level\'s limits)')
    .option('--reason <text>', 'recorded in the audit log')
    .option('--json', 'print JSON')
    .action(async (who: string, o: { maxPayment?: bigint; maxBalance?: bigint; daily?: Record<string, bigint>; clear?: boolean; reason?: string; json?: boolean }) =>
      withContext(config(), async (ctx) => {
        const id = await accountOf(ctx, who);
        if (o.clear || o.maxPayment !== undefined || o.maxBalance !== undefined || o.daily) {
          const before = o.clear ? null : (await limitsReport(ctx.sql, ctx.config, id)).settings.overrides;
          const next: Limits | null = o.clear ? null : limitsSchema.parse({
            ...before, ...(o.maxPayment !== undefined && { maxPaymentMsat: o.maxPayment.toString() }),
            ...(o.maxBalance !== undefined && { maxBalanceMsat: o.maxBalance.toString() }),
          });
          if (next && o.daily) next.daily = { ...next.daily, ...o.daily };
          await setLimits(ctx.sql, actor(), id, next, o.reason ?? null);
        }
        const r = await limitsReport(ctx.sql, ctx.config, id);
        if (o.json) return console.log(json({ accountId: id, ...r }));
        console.log(`account ${id}: level ${r.settings.level}${r.settings.ownLevel ? '' : ' (default)'}${r.settings.frozen ? `, FROZEN (${r.settings.frozenReason})` : ''}${r.settings.overrides ? ', with overrides' : ''}`);
        console.log(`  per payment ${sats(r.limits.maxPaymentMsat)}, balance at most ${sats(r.limits.maxBalanceMsat)}`);
        const keys = new Set([...Object.keys(r.limits.daily ?? {}), ...Object.keys(r.usedMsat)]);
        for (const k of [...keys].sort()) console.log(`  24 h ${k.padEnd(22)} used ${sats(r.usedMsat[k] ?? 0n)} of ${sats(r.limits.daily?.[k] ?? (k.startsWith('*') ? undefined : r.limits.daily?.['*:outgoing']))}`);
      }));
  account.command('freeze')
    .description('freeze an account: it still receives, but sends nothing on any rail or entry point')
    .argument('<who>', 'npub, hex pubkey or account id')
    .requiredOption('--reason <text>', 'why (shown to the user, recorded in the audit log)')
    .action(async (who: string, o: { reason: string }) => withContext(config(), async (ctx) => {
      const id = await accountOf(ctx, who);
      await freeze(ctx.sql, actor(), id, o.reason);
      console.log(`account ${id} frozen`);
    }));
  account.command('unfreeze')
    .description('let a frozen account send again')
    .argument('<who>', 'npub, hex pubkey or account id')
    .option('--reason <text>', 'recorded in the audit log')
    .action(async (who: string, o: { reason?: string }) => withContext(config(), async (ctx) => {
      const id = await accountOf(ctx, who);
      await unfreeze(ctx.sql, actor(), id, o.reason ?? null);
      console.log(`account ${id} unfrozen`);
    }));

  program.command('pause')
    .description('kill switch: refuse every outgoing payment on every rail (transfers inside the service go on)')
    .requiredOption('--reason <text>', 'why (recorded in the audit log)')
    .action(async (o: { reason: string }) => withContext(config(), async (ctx) => {
      console.log(await pause(ctx.sql, actor(), o.reason) ? 'outgoing payments paused' : 'outgoing payments were paused already');
    }));
  program.command('resume')
    .description('end a pause (yours or the solvency watchdog\'s)')
    .option('--reason <text>', 'recorded in the audit log')
    .action(async (o: { reason?: string }) => withContext(config(), async (ctx) => {
      console.log(await resume(ctx.sql, actor(), o.reason ?? null) ? 'outgoing payments resumed' : 'outgoing payments were not paused');
    }));
  program.command('reserves')
    .description('solvency: liabilities against the rails\' assets, checked now by the workers (else their last report)')
    .option('--json', 'print JSON')
    .option('--timeout <seconds>', 'how long to wait for the workers', '10')
    .action(async (o: { json?: boolean; timeout: string }) => withContext(config(), async (ctx) => {
      const fresh = await ctx.bus.call('risk.solvency', {}, { id: `solvency-cli-${randomUUID()}`, timeoutMs: Number(o.timeout) * 1000 }).then(() => true, (err: unknown) => {
        console.error(`the workers did not answer (${(err as Error).message}); showing their last report`);
        return false;
      });
      const [report, state] = [await lastReport(ctx.sql), await riskState(ctx.sql)];
      if (o.json) return console.log(json({ fresh, report: report ?? null, paused: state.paused, pausedReason: state.pausedReason }));
      if (report) printReport(report); else console.log('no solvency report yet');
      console.log(state.paused ? `outgoing payments PAUSED by ${state.pausedBy}: ${state.pausedReason}` : 'outgoing payments running');
      if (report && report.deficitMsat > ctx.config.RISK_MAX_DEFICIT_MSAT) process.exitCode = 1;
    }));
  program.command('audit')
    .description('the audit log of operator actions, newest first')
    .option('-n, --limit <n>', 'entries', '50')
    .action(async (o: { limit: string }) => withContext(config(), async (ctx) => {
      for (const e of await auditLog(ctx.sql, Math.max(1, Number(o.limit) || 50))) {
        console.log(`${e.at.toISOString()}  ${e.actor} (${e.via})  ${e.action}${e.subject ? ` ${e.subject}` : ''}${e.reason ? `  "${e.reason}"` : ''}`);
      }
    }));
}
