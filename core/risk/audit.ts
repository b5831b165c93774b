// The append-only log of operator actions (risk_audit; a trigger refuses updates and deletes):
// who, through what, did what to whom, and why.
import type { Db } from '../ledger/ledger.ts';

export interface Actor {
  /** Who: `cli:<os user>`, `npub…` of an operator over DM, `watchdog`, … */
  who: string;
  via: 'cli' | 'dm' | 'api' | 'system';
}

export interface AuditEntry { id: bigint; at: Date; actor: string; via: Actor['via']; action: string; subject: string | null; reason: string | null; details: unknown }

export async function audit(db: Db, actor: Actor, action: string, subject: string | null, reason: string | null, details?: Record<string, unknown>): Promise<void> {
  await db`insert into risk_audit (actor, via, action, subject, reason, details)
    values (${actor.who}, ${actor.via}, ${action}, ${subject}, ${reason}, ${details ? db.json(details as never) : null})`;
}

export async function auditLog(db: Db, limit = 50): Promise<AuditEntry[]> {
  return db<AuditEntry[]>`select id, at, actor, via, action, subject, reason, details from risk_audit order by id desc limit ${limit}`;
}
