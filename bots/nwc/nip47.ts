// NIP-47 (Nostr Wallet Connect) as a spec: kinds, methods, error codes, the two encryption
// schemes, the wire JSON (amounts are msat integers, read exactly into bigint), the request
// parameters of every method, and the transaction object that answers carry.
import * as nip44 from 'nostr-tools/nip44';
import { nip04Decrypt, nip04Encrypt } from '../../core/nostr/nip04.ts';
import { conversationKey, nip04Key } from '../../core/nostr/shared-keys.ts';
import { z } from 'zod';
import { CodedError, issuesText } from '../../core/errors.ts';
import { tagValues } from '../../core/nostr/event.ts';
import type { Transaction } from '../../core/payments/transactions.ts';

export const kinds = { info: 13194, request: 23194, response: 23195, notificationNip04: 23196, notification: 23197 } as const;

export const methods = [
  'pay_invoice', 'pay_keysend', 'make_invoice', 'lookup_invoice', 'list_transactions', 'get_balance', 'get_info',
  'make_hold_invoice', 'settle_hold_invoice', 'cancel_hold_invoice', 'get_budget',
] as const;
export type Method = (typeof methods)[number];
export const isMethod = (m: string): m is Method => (methods as readonly string[]).includes(m);

export const notificationTypes = ['payment_received', 'payment_sent', 'hold_invoice_accepted'] as const;
export type NotificationType = (typeof notificationTypes)[number];

/** What a connection may be allowed: each method, and receiving notifications. */
export const scopes = [...methods, 'notifications'] as const;
export type Scope = (typeof scopes)[number];

export const errorCodes = [
  'RATE_LIMITED', 'NOT_IMPLEMENTED', 'INSUFFICIENT_BALANCE', 'QUOTA_EXCEEDED', 'RESTRICTED', 'UNAUTHORIZED',
  'INTERNAL', 'UNSUPPORTED_ENCRYPTION', 'PAYMENT_FAILED', 'NOT_FOUND', 'OTHER',
] as const;
export type ErrorCode = (typeof errorCodes)[number];

/** A NIP-47 error answer; thrown by handlers and the budget hook, mapped in service.ts. */
export class Nip47Error extends CodedError<ErrorCode> {
  override name = 'Nip47Error';
}

/** Metadata longer than this (as JSON) is dropped, as the spec says. */
export const METADATA_MAX_CHARS = 4096;

// ——— encryption ———

export type Encryption = 'nip44_v2' | 'nip04';
export const supportedEncryptions: Encryption[] = ['nip44_v2', 'nip04'];

/** The request's scheme from its `encryption` tag (absent: NIP-04); undefined when we do not speak it. */
export function requestEncryption(event: { tags: string[][] }): Encryption | undefined {
  const [tag] = tagValues(event, 'encryption');
  if (tag === undefined) return 'nip04';
  return supportedEncryptions.find((e) => e === tag.trim());
}

/** A key pair's shared state for both schemes (each secret costs an ECDH: both come from the shared LRU). */
export interface Peer { secretKey: Uint8Array; pubkey: string; conversationKey: Uint8Array }

export function peer(secretKey: Uint8Array, pubkey: string): Peer {
  return { secretKey, pubkey, conversationKey: conversationKey(secretKey, pubkey) };
}

export function encrypt(scheme: Encryption, p: Peer, text: string): string {
  return scheme === 'nip44_v2' ? nip44.encrypt(text, p.conversationKey) : nip04Encrypt(nip04Key(p.secretKey, p.pubkey), text);
}

export function decrypt(scheme: Encryption, p: Peer, payload: string): string {
  return scheme === 'nip44_v2' ? nip44.decrypt(payload, p.conversationKey) : nip04Decrypt(nip04Key(p.secretKey, p.pubkey), payload);
}

// ——— wire JSON ———

type Reviver = (key: string, value: unknown, context: { source?: string }) => unknown;
const parseWithSource = JSON.parse as (text: string, reviver: Reviver) => unknown;
const rawJson = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

/** JSON with every integer read exactly as a bigint (from its source text, never through a float). */
export function parseJson(text: string): unknown {
  return parseWithSource(text, (_key, value, context) =>
    typeof value === 'number' && context.source !== undefined && /^-?\d+$/.test(context.source) ? BigInt(context.source) : value);
}

/** JSON with bigints written as plain integers. */
export function stringifyJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? rawJson(v.toString()) : v));
}

// ——— requests ———

export const requestSchema = z.object({
  method: z.string().min(1).max(64),
  params: z.record(z.string(), z.unknown()).optional().default({}),
});

const hex32 = z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 32 bytes of hex').transform((s) => s.toLowerCase());
/** A non-negative integer count or timestamp, within `max`, as a number. */
const int = (max: number) => z.bigint('must be an integer').min(0n, 'must not be negative').max(BigInt(max), `must be at most ${max}`).transform(Number);
/** Millisatoshi: a non-negative integer (upper limits are the payment engine's). */
const msat = z.bigint('must be an integer number of millisatoshi').min(0n, 'must not be negative').max(2n ** 63n - 1n, 'is too large');
/** Metadata as the app sent it, or undefined when too large (dropped, per spec). */
const metadata = z.record(z.string(), z.unknown()).optional().transform((m) => (m && stringifyJson(m).length <= METADATA_MAX_CHARS ? m : undefined));

const invoiceFields = {
  amount: msat,
  description: z.string().optional(),
  description_hash: hex32.optional(),
  expiry: int(365 * 24 * 3600).optional(),
  metadata,
};

export const paramSchemas = {
  // NNostr (BTCPay's NWC plugin) writes this one param as `Invoice`, its C# property name.
  pay_invoice: z.preprocess(
    (p) => (p && typeof p === 'object' && !('invoice' in p) && 'Invoice' in p ? { ...p, invoice: (p as { Invoice: unknown }).Invoice } : p),
    z.object({ invoice: z.string().min(1), amount: msat.optional(), metadata }),
  ),
  pay_keysend: z.object({
    amount: msat,
    pubkey: z.string().regex(/^0[23][0-9a-fA-F]{64}$/, 'must be a compressed node public key in hex').transform((s) => s.toLowerCase()),
    preimage: hex32.optional(),
    tlv_records: z.array(z.object({ type: z.bigint().min(0n).max(2n ** 64n - 1n), value: z.string().regex(/^([0-9a-fA-F]{2})*$/, 'must be hex') })).optional(),
    metadata,
  }),
  make_invoice: z.object(invoiceFields),
  make_hold_invoice: z.object({ ...invoiceFields, payment_hash: hex32, min_cltv_expiry_delta: int(10_000).optional() }),
  settle_hold_invoice: z.object({ preimage: hex32 }),
  cancel_hold_invoice: z.object({ payment_hash: hex32 }),
  lookup_invoice: z.object({ payment_hash: hex32.optional(), invoice: z.string().min(1).optional() })
    .refine((p) => p.payment_hash !== undefined || p.invoice !== undefined, 'give payment_hash or invoice'),
  list_transactions: z.object({
    from: int(2 ** 40).optional(),
    until: int(2 ** 40).optional(),
    limit: int(1_000_000).optional(),
    offset: int(1_000_000_000).optional(),
    unpaid: z.boolean().optional(),
    type: z.enum(['incoming', 'outgoing']).optional(),
  }),
  get_balance: z.object({}),
  get_info: z.object({}),
  get_budget: z.object({}),
} satisfies Record<Method, z.ZodType>;

export type Params<M extends Method> = z.output<(typeof paramSchemas)[M]>;

/** Parses a method's params; wrong types become an OTHER error that says what was wrong. */
export function parseParams<M extends Method>(method: M, params: unknown): Params<M> {
  const r = paramSchemas[method].safeParse(params);
  if (!r.success) throw new Nip47Error('OTHER', `invalid params: ${issuesText(r.error, 'params')}`);
  return r.data as Params<M>;
}

// ——— answers ———

export type TransactionState = 'pending' | 'settled' | 'accepted' | 'expired' | 'failed';

const states: Record<Transaction['status'], TransactionState> = {
  open: 'pending', pending: 'pending', accepted: 'accepted', succeeded: 'settled', expired: 'expired', failed: 'failed', canceled: 'failed',
};

/** A date as NIP-47's unix seconds. */
export const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

/** The transaction object of lookup_invoice, list_transactions, make_invoice and notifications. */
export function toNip47Transaction(t: Transaction): Record<string, unknown> {
  return {
    type: t.direction,
    state: states[t.status],
    invoice: t.paymentRequest,
    description: t.description ?? t.memo,
    description_hash: t.descriptionHash,
    preimage: t.status === 'succeeded' ? t.preimage : undefined,
    payment_hash: t.paymentHash,
    amount: t.amountMsat ?? 0n,
    fees_paid: t.feeMsat,
    created_at: seconds(t.createdAt),
    expires_at: t.expiresAt && seconds(t.expiresAt),
    settled_at: t.settledAt && seconds(t.settledAt),
    metadata: t.metadata,
  };
}
