// The kill switch: while paused, risk_check refuses every outgoing payment on a rail (moves
// inside the ledger go on: they change no one's claim on the service's assets). Set by
// `flash pause|resume`, an operator's DM, or the solvency watchdog; each change audited.
import type { Sql } from '../db.ts';
import type { Db } from '../ledger/ledger.ts';
import { audit, type Actor } from './audit.ts';

export interface RiskState { paused: boolean; pausedAt: Date | null; pausedBy: string | null; pausedReason: string | null }

export async function riskState(db: Db): Promise<RiskState> {
  const [r] = await db<{ paused_at: Date | null; paused_by: string | null; paused_reason: string | null }[]>`
    select paused_at, paused_by, paused_reason from risk_state`;
  return { paused: !!r!.paused_at, pausedAt: r!.paused_at, pausedBy: r!.paused_by, pausedReason: r!.paused_reason };
}

/** Pauses outgoing payments; false when they were paused already (the first reason stays). */
export async function pause(sql: Sql, actor: Actor, reason: string): Promise<boolean> {
  return sql.begin(async (tx) => {
    const changed = await tx`update risk_state set paused_at = now(), paused_by = ${actor.who}, paused_reason = ${reason} where paused_at is null`;
    if (changed.count) await audit(tx, actor, 'payments.pause', null, reason);
    return changed.count > 0;
  });
}

/** Resumes outgoing payments; false when they were not paused. */
export async function resume(sql: Sql, actor: Actor, reason: string | null): Promise<boolean> {
  return sql.begin(async (tx) => {
    const changed = await tx`update risk_state set paused_at = null, paused_by = null, paused_reason = null where paused_at is not null`;
    if (changed.count) await audit(tx, actor, 'payments.resume', null, reason);
    return changed.count > 0;
  });
}
