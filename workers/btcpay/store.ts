// A link as the workers use it: its row and a Greenfield client with its opened API key.
import type { Context } from '../../core/context.ts';
import { BtcpayError } from '../../core/btcpay/errors.ts';
import { linkRow, openApiKey, toLink, type Link } from '../../core/btcpay/links.ts';
import { greenfield, type Greenfield } from './greenfield.ts';

export interface Store { link: Link; api: Greenfield }

export async function openStore(ctx: Context, linkId: string): Promise<Store> {
  const row = await linkRow(ctx.sql, linkId);
  if (!row) throw new BtcpayError('unknown_link', `no BTCPay link ${linkId}`);
  return { link: toLink(row), api: greenfield(row.url, openApiKey(ctx, row), ctx.config.BTCPAY_TIMEOUT_MS) };
}
