// Per-account risk settings: level, limit overrides, freeze. Settings live on the account that
// owns them; a sub-wallet follows its parent's. Each change is audited in the same transaction.
import type { Config } from '../config.ts';
import type { Sql } from '../db.ts';
import type { Db } from '../ledger/ledger.ts';
import { audit, type Actor } from './audit.ts';
import { effectiveLimits, levelsOf, limitsJson, limitsSchema, type Limits } from './limits.ts';
import { RiskRefusal } from './refusals.ts';

export interface RiskSettings { level: number; ownLevel: boolean; overrides: Limits | null; frozen: boolean; frozenReason: string | null }

interface Row { level: number | null; limits: unknown; frozen_at: Date | null; frozen_reason: string | null }

/** The settings that apply to an account (its owner's, for a sub-wallet). */
export async function riskSettings(db: Db, config: Pick<Config, 'RISK_DEFAULT_LEVEL'>, accountId: string): Promise<RiskSettings> {
  const [r] = await db<Row[]>`
    select ra.level, ra.limits, ra.frozen_at, ra.frozen_reason from accounts a
      join risk_accounts ra on ra.account_id = coalesce(a.parent_id, a.id) where a.id = ${accountId}`;
  return {
    level: r?.level ?? config.RISK_DEFAULT_LEVEL, ownLevel: r?.level != null,
    overrides: r?.limits ? limitsSchema.parse(r.limits) : null, frozen: !!r?.frozen_at, frozenReason: r?.frozen_reason ?? null,
  };
}

/** Refuses at the door (an API request, a batch) what the engine would refuse anyway. */
export async function assertCanSend(db: Db, config: Config, accountId: string): Promise<void> {
  const s = await riskSettings(db, config, accountId);
  if (s.frozen) throw new RiskRefusal('account_frozen', { reason: s.frozenReason ?? undefined });
}

async function change(db: Sql, actor: Actor, accountId: string, action: string, reason: string | null, set: { level?: number | null; limits?: Limits | null; frozen?: boolean }) {
  const limits = set.limits === undefined ? undefined : set.limits && limitsJson(set.limits);
  await db.begin(async (tx) => {
    await tx`insert into risk_accounts (account_id) values (${accountId}) on conflict do nothing`;
    await tx`update risk_accounts set updated_at = now(),
        level = ${set.level === undefined ? tx`level` : set.level},
        limits = ${limits === undefined ? tx`limits` : limits}::text::jsonb,
        frozen_at = ${set.frozen === undefined ? tx`frozen_at` : set.frozen ? tx`now()` : null},
        frozen_reason = ${set.frozen === undefined ? tx`frozen_reason` : set.frozen ? reason : null}
      where account_id = ${accountId}`;
    await audit(tx, actor, action, accountId, reason, { ...set, limits: limits && JSON.parse(limits) });
  });
}

export const setLevel = (db: Sql, actor: Actor, accountId: string, level: number | null, reason: string | null) =>
  change(db, actor, accountId, 'account.level', reason, { level });

export const setLimits = (db: Sql, actor: Actor, accountId: string, limits: Limits | null, reason: string | null) =>
  change(db, actor, accountId, 'account.limits', reason, { limits });

export const freeze = (db: Sql, actor: Actor, accountId: string, reason: string) => change(db, actor, accountId, 'account.freeze', reason, { frozen: true });

export const unfreeze = (db: Sql, actor: Actor, accountId: string, reason: string | null) => change(db, actor, accountId, 'account.unfreeze', reason, { frozen: false });

export interface LimitsReport { settings: RiskSettings; limits: Limits; usedMsat: Record<string, bigint> }

/** The limits that apply and what the account moved out per rail in the last 24 hours. */
export async function limitsReport(db: Db, config: Config, accountId: string): Promise<LimitsReport> {
  const settings = await riskSettings(db, config, accountId);
  const rows = await db<{ rail: string; used: bigint }[]>`
    select coalesce(rail, 'internal') as rail, sum(amount_msat)::int8 as used from transactions
    where account_id = ${accountId} and direction = 'outgoing' and created_at > now() - interval '24 hours' and status in ('pending', 'succeeded')
    group by 1`;
  return {
    settings, limits: effectiveLimits(levelsOf(config), settings.level, settings.overrides),
    usedMsat: Object.fromEntries(rows.map((r) => [`${r.rail}:outgoing`, r.used])),
  };
}
