// Anomaly rules over the payment events: rules are data (RISK_RULES), each a kind with its
// thresholds and an action, `alert` (the operators get a DM) or `freeze` (the account is
// frozen, then alerted). The workers evaluate them on every outgoing payment's outcome
// (`payment.sent`, `payment.failed`), one query for all the payments of a read; a hit is
// recorded once per rule and transaction, and at most once per rule, account and window
// (risk_decisions, with the facts) before acting.
// Kinds:
//   velocity      `count` or more payments within `minutes`
//   destinations  `count` or more distinct destinations within `minutes`
//   failures      `count` or more failed payments within `minutes`
//   drain         an account younger than `accountAgeHours` sent `share` or more of all it
//                 ever received within `minutes`
//   outsized      a payment `factor` times the largest of the account's previous 100 payments
//                 of 30 days (with at least `history` of them)
import type { Context } from '../context.ts';
import type { Sql } from '../db.ts';
import { freeze } from './accounts.ts';
import { raiseAlert } from './alerts.ts';
import { rulesSchema, type Rule } from './rule-set.ts';

const parsed = new WeakMap<object, Rule[]>();
const rulesOf = (config: { RISK_RULES: string }): Rule[] => {
  let r = parsed.get(config);
  if (!r) parsed.set(config, r = rulesSchema.parse(JSON.parse(config.RISK_RULES)));
  return r;
};

interface Facts { created: Date; amount: bigint; largest: bigint | null; earlier: number; received: bigint; [window: string]: unknown }

type FactsRow = Facts & { transaction_id: string; windows: Record<string, { n: number; failed: number; destinations: number; sent: string }> };

/**
 * What the rules need, for each of a set of finished payments, in one query: per window the
 * account's payments, failures, distinct destinations and amount sent (one scan of the widest
 * window), its last 100 payments of 30 days, and all it received if it is young.
 */
async function factsOf(sql: Sql, rules: Rule[], transactionIds: string[]): Promise<Map<string, Facts>> {
  const minutes = [...new Set(rules.flatMap((r) => ('minutes' in r ? [r.minutes] : [])))];
  const widest = Math.max(0, ...minutes);
  const youngSeconds = Math.max(0, ...rules.map((r) => (r.kind === 'drain' ? r.accountAgeHours * 3600 : 0)));
  const rows = await sql<FactsRow[]>`
    select t.id as transaction_id, a.created_at as created, t.amount_msat as amount, h.largest, h.earlier,
        -- All it ever received: only for accounts young enough for a drain rule.
        case when a.created_at > now() - make_interval(secs => ${youngSeconds}) then (select coalesce(sum(i.amount_msat), 0)::int8
          from transactions i where i.account_id = a.id and i.direction = 'incoming' and i.status = 'succeeded') else 0 end as received,
        (select coalesce(jsonb_object_agg(g.m, g.w), '{}') from (
           select m, jsonb_build_object(
               'n', count(*) filter (where r.created_at > now() - make_interval(mins => m)),
               'failed', count(*) filter (where r.created_at > now() - make_interval(mins => m) and r.status = 'failed'),
               'destinations', count(distinct r.dest) filter (where r.created_at > now() - make_interval(mins => m)),
               'sent', (coalesce(sum(r.amount_msat) filter (where r.created_at > now() - make_interval(mins => m) and r.status <> 'failed'), 0))::text) as w
             from unnest(${minutes}::int[]) m left join (
               select p.created_at, p.status, p.amount_msat, coalesce(p.destination, p.counterparty_account_id::text) as dest from transactions p
                 where p.account_id = a.id and p.direction = 'outgoing' and p.created_at > now() - make_interval(mins => ${widest})) r on true
             group by m) g) as windows
      from transactions t join accounts a on a.id = t.account_id
      -- The largest of its last 100 payments in 30 days (bounded, however busy the account).
      cross join lateral (select max(p.amount_msat) as largest, count(*)::int as earlier from (
        select p.amount_msat from transactions p where p.account_id = a.id and p.direction = 'outgoing' and p.status <> 'failed'
          and p.created_at > now() - interval '30 days' and p.created_at < t.created_at order by p.created_at desc limit 100) p) h
      where t.id = any(${transactionIds}::uuid[])`;
  return new Map(rows.map((r) => [r.transaction_id, { ...r, ...r.windows }]));
}

/** What a rule sees, or undefined when it does not fire. */
function hit(r: Rule, f: Facts): Record<string, unknown> | undefined {
  const w = 'minutes' in r ? (f[String(r.minutes)] as { n: number; failed: number; destinations: number; sent: string }) : undefined;
  switch (r.kind) {
    case 'velocity': return w!.n >= r.count ? { payments: w!.n, minutes: r.minutes } : undefined;
    case 'destinations': return w!.destinations >= r.count ? { destinations: w!.destinations, minutes: r.minutes } : undefined;
    case 'failures': return w!.failed >= r.count ? { failed: w!.failed, minutes: r.minutes } : undefined;
    case 'drain': {
      const ageHours = (Date.now() - f.created.getTime()) / 3600_000;
      const sent = BigInt(w!.sent);
      const fires = ageHours < r.accountAgeHours && f.received > 0n && sent * 1000n >= f.received * BigInt(Math.round(r.share * 1000));
      return fires ? { sentMsat: sent.toString(), receivedMsat: f.received.toString(), accountAgeHours: Math.round(ageHours * 10) / 10, minutes: r.minutes } : undefined;
    }
    case 'outsized': {
      const fires = f.earlier >= r.history && f.largest !== null && f.amount * 1000n >= f.largest * BigInt(Math.round(r.factor * 1000));
      return fires ? { amountMsat: f.amount.toString(), largestBeforeMsat: f.largest!.toString(), earlierPayments: f.earlier } : undefined;
    }
  }
}

/**
 * Evaluates every rule for the accounts of finished outgoing payments (one query for all);
 * returns, per payment, the rules that fired now.
 */
export async function evaluateRules(ctx: Context, events: Array<{ accountId: string; transactionId: string }>): Promise<Map<string, string[]>> {
  const rules = rulesOf(ctx.config);
  const fired = new Map<string, string[]>();
  if (!rules.length || !events.length) return fired;
  const facts = await factsOf(ctx.sql, rules, [...new Set(events.map((e) => e.transactionId))]);
  for (const e of events) {
    const f = facts.get(e.transactionId);
    if (!f) continue;
    for (const r of rules) {
      const seen = hit(r, f);
      if (seen && await decide(ctx, r, e, seen)) fired.set(e.transactionId, [...(fired.get(e.transactionId) ?? []), r.name]);
    }
  }
  return fired;
}

/** Records a hit (once per transaction, once per account within the rule's window) and acts on it. */
async function decide(ctx: Context, r: Rule, e: { accountId: string; transactionId: string }, seen: Record<string, unknown>): Promise<boolean> {
  const minutes = 'minutes' in r ? r.minutes : 0;
  const [d] = await ctx.sql<{ id: bigint }[]>`
    insert into risk_decisions (rule, account_id, transaction_id, action, facts)
    select ${r.name}, ${e.accountId}, ${e.transactionId}, ${r.action}, ${ctx.sql.json(seen as never)}
    where not exists (select from risk_decisions where rule = ${r.name} and account_id = ${e.accountId}
      and at > now() - make_interval(mins => ${minutes}))
    on conflict do nothing returning id`;
  if (!d) return false;
  if (r.action === 'freeze') await freeze(ctx.sql, { who: `rule:${r.name}`, via: 'system' }, e.accountId, `anomaly rule ${r.name}`);
  await raiseAlert(ctx, {
    key: `anomaly:${d.id}`, kind: 'anomaly',
    text: `Anomaly rule "${r.name}" (${r.kind}) on account ${e.accountId}: ${JSON.stringify(seen)}.${r.action === 'freeze' ? ' The account is frozen; answer "unfreeze <account>" to undo.' : ` Answer "freeze ${e.accountId} <reason>" to stop it sending.`}`,
  });
  return true;
}
