// Linking a store: the API key must hold what Flash uses, then a webhook is registered on the
// store (its secret generated here, sealed at rest) and the link recorded.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Context } from '../../core/context.ts';
import { BtcpayError } from '../../core/btcpay/errors.ts';
import { recordLink, webhookPath, type Link } from '../../core/btcpay/links.ts';
import { greenfield, ok } from './greenfield.ts';

/** What Flash calls on a store, with the permission each needs. */
export const requiredPermissions = {
  'btcpay.store.webhooks.canmodifywebhooks': 'register its webhook',
  'btcpay.store.canviewinvoices': 'read settled invoices (amount, buyer)',
  'btcpay.store.cancreatepullpayments': 'create reward pull payments',
  'btcpay.store.canmanagepullpayments': 'list and mark payouts paid',
} as const;

/** The webhook's events: rewards on InvoiceSettled, payouts at once on PayoutApproved. */
export const webhookEvents = ['InvoiceSettled', 'PayoutApproved'];

/** Permissions the key lacks for `storeId` (a permission may be scoped `perm:<storeId>`). */
export function missingPermissions(granted: string[], storeId: string): string[] {
  const has = (perm: string) => granted.some((g) => g === 'unrestricted' || g === perm || g === `${perm}:${storeId}`);
  return Object.keys(requiredPermissions).filter((p) => !has(p));
}

export async function linkStore(ctx: Context, o: { businessAccountId: string; url: string; storeId: string; apiKey: string }): Promise<Link> {
  const url = new URL(o.url);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new BtcpayError('malformed', 'the Greenfield URL must be http(s)');
  const api = greenfield(url.origin + url.pathname, o.apiKey, ctx.config.BTCPAY_TIMEOUT_MS);
  const key = await ok('GET api-keys/current', api.GET('/api/v1/api-keys/current'));
  const missing = missingPermissions(key.permissions ?? [], o.storeId);
  if (missing.length) {
    throw new BtcpayError('missing_permissions', `the API key lacks ${missing.map((p) => `${p} (${requiredPermissions[p as keyof typeof requiredPermissions]})`).join(', ')}`);
  }
  const id = randomUUID();
  const secret = randomBytes(32).toString('hex');
  const hook = await ok('POST webhooks', api.POST('/api/v1/stores/{storeId}/webhooks', {
    params: { path: { storeId: o.storeId } },
    body: { url: `${ctx.config.publicUrl}${webhookPath(id)}`, secret, enabled: true, automaticRedelivery: true, authorizedEvents: { everything: false, specificEvents: webhookEvents } },
  }));
  try {
    return await recordLink(ctx, { id, businessAccountId: o.businessAccountId, url: url.origin + url.pathname.replace(/\/+$/, ''), storeId: o.storeId, apiKey: o.apiKey, webhookId: hook.id!, webhookSecret: secret });
  } catch (err) {
    // Not recorded: the store must not keep posting to a link that does not exist.
    await api.DELETE('/api/v1/webhooks/{webhookId}', { params: { path: { webhookId: hook.id! } } }).catch(() => undefined);
    throw err;
  }
}
