// Pruning of the rows that only guard against repeats: once a request or DM is too old to be
// accepted again (NWC_REQUEST_MAX_AGE_SECONDS, DM_MAX_AGE_SECONDS), its id serves no purpose.
import type { Config } from './config.ts';
import type { Sql } from './db.ts';

export interface Pruned { nwcRequests: number; dmMessages: number; dmNotices: number; cardTaps: number; btcpayDeliveries: number }

/**
 * Deletes what is older than RETENTION_DAYS (never less than twice the ages a repeat could still
 * be accepted at). Wallet-connect requests that made a payment stay: budgets sum over them.
 * Card taps that made a payment stay likewise.
 */
export async function pruneOldRows(sql: Sql, config: Pick<Config, 'RETENTION_DAYS' | 'NWC_REQUEST_MAX_AGE_SECONDS' | 'DM_MAX_AGE_SECONDS'>): Promise<Pruned> {
  const seconds = Math.max(config.RETENTION_DAYS * 86_400, 2 * config.NWC_REQUEST_MAX_AGE_SECONDS, 2 * config.DM_MAX_AGE_SECONDS);
  const nwc = await sql`delete from nwc_requests
    where created_at < now() - make_interval(secs => ${seconds}) and status = 'done' and transaction_id is null`;
  const messages = await sql`delete from dm_messages where received_at < now() - make_interval(secs => ${seconds})`;
  const notices = await sql`delete from dm_notices where sent_at < now() - make_interval(secs => ${seconds})`;
  // Card taps never paid (their k1 long expired); paid ones stay: the daily limit sums over them.
  const taps = await sql`delete from card_taps where created_at < now() - make_interval(secs => ${seconds}) and transaction_id is null`;
  // BTCPay deliveries acted on: a redelivery that old is refused as stale before it is looked up.
  const deliveries = await sql`delete from btcpay_deliveries where received_at < now() - make_interval(secs => ${seconds}) and processed_at is not null`;
  return { nwcRequests: nwc.count, dmMessages: messages.count, dmNotices: notices.count, cardTaps: taps.count, btcpayDeliveries: deliveries.count };
}
