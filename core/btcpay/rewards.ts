// Flash Rewards for BTCPay stores: a business's rule (a percentage of each settled invoice, up
// to a cap), the reward an invoice earns, and who its buyer is, from the invoice's metadata.
import { z } from 'zod';
import type { Db } from '../ledger/ledger.ts';
import { issuesText } from '../errors.ts';
import { BtcpayError } from './errors.ts';

export interface RewardRule { basisPoints: number; maxMsat: bigint }

export const rewardRuleInput = z.object({
  /** Percent of the invoice, up to two decimals (2 or 2.5). */
  percent: z.string().regex(/^\d{1,3}(\.\d{1,2})?$/, 'a percentage such as 2 or 2.5').transform((p, c) => {
    const [whole, frac = ''] = p.split('.');
    const bp = Number(whole) * 100 + Number(frac.padEnd(2, '0'));
    if (bp < 1 || bp > 10_000) c.addIssue({ code: 'custom', message: 'between 0.01 and 100 percent' });
    return bp;
  }),
  maxSats: z.coerce.bigint().min(1n).max(21_000_000n * 100_000_000n),
});

export async function setRewardRule(db: Db, businessAccountId: string, input: z.input<typeof rewardRuleInput>): Promise<RewardRule> {
  const r = rewardRuleInput.safeParse(input);
  if (!r.success) throw new BtcpayError('malformed', issuesText(r.error, 'rule'));
  await db`
    insert into btcpay_reward_rules (business_account_id, basis_points, max_msat) values (${businessAccountId}, ${r.data.percent}, ${r.data.maxSats * 1000n})
    on conflict (business_account_id) do update set basis_points = excluded.basis_points, max_msat = excluded.max_msat, updated_at = now()`;
  return { basisPoints: r.data.percent, maxMsat: r.data.maxSats * 1000n };
}

export async function rewardRule(db: Db, businessAccountId: string): Promise<RewardRule | undefined> {
  const [row] = await db<{ basis_points: number; max_msat: bigint }[]>`select * from btcpay_reward_rules where business_account_id = ${businessAccountId}`;
  return row && { basisPoints: row.basis_points, maxMsat: row.max_msat };
}

/** The reward on an invoice of `amountMsat`, in whole sats (pull payments and most wallets take no msat). */
export function rewardFor(rule: RewardRule, amountMsat: bigint): bigint {
  const raw = (amountMsat * BigInt(rule.basisPoints)) / 10_000n;
  const capped = raw < rule.maxMsat ? raw : rule.maxMsat;
  return (capped / 1000n) * 1000n;
}

/**
 * The metadata fields that name the buyer: `flashBuyer` (an npub, a NIP-05 name or a
 * lightning address) or `flashCardId` (a Flash Card). Set them when creating the invoice, e.g.
 * from the checkout form or the point of sale.
 */
export const buyerFields = { recipient: 'flashBuyer', card: 'flashCardId' } as const;

export type Buyer = { type: 'recipient'; text: string } | { type: 'card'; cardId: string };

export function buyerOf(metadata: Record<string, unknown> | undefined): Buyer | undefined {
  const text = metadata?.[buyerFields.recipient];
  if (typeof text === 'string' && text.trim() && text.length <= 500) return { type: 'recipient', text: text.trim() };
  const card = metadata?.[buyerFields.card];
  if (typeof card === 'string' && card.trim() && card.length <= 200) return { type: 'card', cardId: card.trim() };
  return undefined;
}

