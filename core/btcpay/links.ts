// A BTCPay store linked to a business account: where its Greenfield API is, the API key Flash
// calls it with and the secret its webhook deliveries are signed with, both sealed with the
// master key. `flash business btcpay link` makes one (workers/btcpay/link.ts).
import type { Context } from '../context.ts';
import type { Db } from '../ledger/ledger.ts';
import type { SealedColumn } from '../secrets.ts';

export interface Link { id: string; businessAccountId: string; url: string; storeId: string; webhookId: string; createdAt: Date }
export interface LinkRow { id: string; business_account_id: string; url: string; store_id: string; api_key: string; webhook_id: string; webhook_secret: string; created_at: Date }

export const toLink = (r: LinkRow): Link => ({ id: r.id, businessAccountId: r.business_account_id, url: r.url, storeId: r.store_id, webhookId: r.webhook_id, createdAt: r.created_at });

const apiKeyPurpose = (id: string) => `btcpay:${id}:api-key`;
const secretPurpose = (id: string) => `btcpay:${id}:webhook-secret`;

export const linkSecrets: SealedColumn[] = [
  { table: 'btcpay_links', column: 'api_key', by: 'id', context: apiKeyPurpose },
  { table: 'btcpay_links', column: 'webhook_secret', by: 'id', context: secretPurpose },
];

/** The path of a link's webhook on the API (PUBLIC_URL + this is what the store posts to). */
export const webhookPath = (linkId: string) => `/btcpay/webhooks/${linkId}`;

export async function recordLink(ctx: Context, l: Omit<Link, 'createdAt'> & { apiKey: string; webhookSecret: string }): Promise<Link> {
  const [row] = await ctx.sql<LinkRow[]>`
    insert into btcpay_links (id, business_account_id, url, store_id, api_key, webhook_id, webhook_secret)
    values (${l.id}, ${l.businessAccountId}, ${l.url}, ${l.storeId}, ${ctx.keyring.seal(new TextEncoder().encode(l.apiKey), apiKeyPurpose(l.id))},
      ${l.webhookId}, ${ctx.keyring.seal(new TextEncoder().encode(l.webhookSecret), secretPurpose(l.id))})
    returning *`;
  return toLink(row!);
}

export async function linkRow(db: Db, id: string): Promise<LinkRow | undefined> {
  const [row] = await db<LinkRow[]>`select * from btcpay_links where id = ${id}`;
  return row;
}

export async function allLinks(db: Db): Promise<Link[]> {
  return (await db<LinkRow[]>`select * from btcpay_links order by created_at`).map(toLink);
}

export const openApiKey = (ctx: Context, r: LinkRow) => new TextDecoder().decode(ctx.keyring.open(r.api_key, apiKeyPurpose(r.id)));
export const openWebhookSecret = (ctx: Context, r: LinkRow) => new TextDecoder().decode(ctx.keyring.open(r.webhook_secret, secretPurpose(r.id)));
