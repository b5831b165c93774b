// A store's Greenfield API through openapi-fetch, typed by the OpenAPI document
// (core/btcpay/greenfield.d.ts): no hand-written request or response types. A non-2xx answer is
// a GreenfieldError carrying BTCPay's error code when it gave one.
import createClient, { type Client } from 'openapi-fetch';
import type { paths, components } from '../../core/btcpay/greenfield.d.ts';
import { BtcpayError } from '../../core/btcpay/errors.ts';

export type Greenfield = Client<paths>;
export type PayoutData = components['schemas']['PayoutData'];
export type InvoiceData = components['schemas']['InvoiceData'];

export function greenfield(url: string, apiKey: string, timeoutMs: number): Greenfield {
  return createClient<paths>({
    baseUrl: url.replace(/\/+$/, ''),
    headers: { Authorization: `token ${apiKey}` },
    fetch: (req: Request) => fetch(req, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' }),
  });
}

export class GreenfieldError extends BtcpayError {
  override name = 'GreenfieldError';
  readonly status: number;
  /** BTCPay's own code (`invalid-state`, `missing-permission`…) when the answer had one. */
  readonly btcpayCode?: string;
  constructor(status: number, what: string, body: unknown) {
    const b = body as { code?: unknown; message?: unknown } | undefined;
    const code = typeof b?.code === 'string' ? b.code : undefined;
    const message = typeof b?.message === 'string' ? b.message : Array.isArray(body) ? JSON.stringify(body).slice(0, 300) : '';
    super('greenfield', `BTCPay answered ${status} to ${what}${code ? ` (${code})` : ''}${message ? `: ${message}` : ''}`);
    this.status = status;
    this.btcpayCode = code;
  }
}

/** The data of a call's answer, or its GreenfieldError. */
export async function ok<T>(what: string, call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw new GreenfieldError(response.status, what, error);
  return data as T;
}
