// Operator alerts. An alert is raised once per key (the key names the incident: a watchdog
// shortfall per hour, a held payment, …): the row in risk_alerts de-duplicates it and the
// `risk.alert` event, written in the same transaction, carries it to the DM bot, which sends it
// to OPERATOR_NPUBS as NIP-17 DMs (bots/dm/alerts.ts), at most RISK_ALERTS_PER_HOUR an hour.
import { z } from 'zod';
import type { Sql } from '../db.ts';
import { defineEvent, recordEvent } from '../events.ts';
import { publishCommitted } from '../payments/dispatch.ts';
import type { Context } from '../context.ts';

export const riskAlert = defineEvent('risk.alert', { key: z.string(), kind: z.string(), text: z.string() });

export type AlertKind = 'solvency' | 'backend' | 'hold' | 'anomaly' | 'freeze';

/** Raises an alert unless one with this key was raised before; true when new. */
export async function raiseAlert(ctx: Context, a: { key: string; kind: AlertKind; text: string }): Promise<boolean> {
  const fresh = await ctx.sql.begin(async (tx) => {
    const [row] = await tx`insert into risk_alerts (key, kind, text) values (${a.key}, ${a.kind}, ${a.text}) on conflict do nothing returning key`;
    if (row) await recordEvent(tx, { type: riskAlert.type, ...a });
    return !!row;
  });
  if (fresh) void publishCommitted(ctx);
  return fresh;
}

/**
 * Claims an alert for sending: false when it was sent already (events arrive at least once) or
 * when RISK_ALERTS_PER_HOUR were sent in the last hour (then it stays unsent, counted as dropped).
 */
export async function claimAlert(sql: Sql, key: string, perHour: number): Promise<'send' | 'sent' | 'limited'> {
  const [r] = await sql<{ claimed: boolean; sent: boolean }[]>`
    with recent as (select count(*) as n from risk_alerts where sent_at > now() - interval '1 hour'),
    claimed as (update risk_alerts set sent_at = now() where key = ${key} and sent_at is null and (select n from recent) < ${perHour} returning 1)
    select exists (select from claimed) as claimed, exists (select from risk_alerts where key = ${key} and sent_at is not null) as sent`;
  return r!.claimed ? 'send' : r!.sent ? 'sent' : 'limited';
}
