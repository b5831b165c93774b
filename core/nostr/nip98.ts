// NIP-98 (HTTP Auth): an `Authorization: Nostr <base64 kind-27235 event>` header that signs
// one request — its absolute URL, method and (for bodies) the SHA-256 of the body.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { NostrEvent } from 'nostr-tools/pure';
import { CodedError } from '../errors.ts';
import { eventSchema, nowSeconds } from './event.ts';
import { finalizeEvent, verifyEvent } from './secp.ts';

export const HTTP_AUTH_KIND = 27235;
const MAX_HEADER = 8192;

const httpAuthReasons = {
  missing: 'no `Authorization: Nostr <base64 event>` header',
  malformed: 'the header does not hold a base64 JSON nostr event',
  wrong_kind: `the event kind must be ${HTTP_AUTH_KIND}`,
  bad_signature: 'invalid event id or signature',
  stale: 'created_at is outside the accepted time window',
  wrong_url: 'the u tag is not the request URL',
  wrong_method: 'the method tag is not the request method',
  wrong_payload: 'the payload tag is missing or is not the SHA-256 of the body',
  unknown_key: 'no account is registered for this key',
  replayed: 'this authorization event was used already',
} as const;
export type HttpAuthReason = keyof typeof httpAuthReasons;

export class HttpAuthError extends CodedError<HttpAuthReason> {
  override name = 'HttpAuthError';
  constructor(code: HttpAuthReason) {
    super(code, httpAuthReasons[code]);
  }
}


const payloadHash = (body: Uint8Array | string): string =>
  bytesToHex(sha256(typeof body === 'string' ? new TextEncoder().encode(body) : body));

export interface HttpAuthRequest {
  header: string | undefined;
  /**
   * The absolute URL the client used (scheme, host, path and query), or every URL the request
   * may name (a relay answers on several).
   */
  url: string | readonly string[];
  /** How URLs are compared; the default is exactly. */
  normalizeUrl?: (url: string) => string;
  method: string;
  /** The raw body; when non-empty, a matching payload tag is required. */
  body?: Uint8Array | string;
  nowSeconds?: number;
  windowSeconds?: number;
}

/** Checks the header against the request; returns the signed event (its pubkey is the caller). */
export function verifyHttpAuth(r: HttpAuthRequest): NostrEvent {
  const m = /^Nostr\s+([A-Za-z0-9+/=_-]+)\s*$/.exec(r.header ?? '');
  if (!r.header) throw new HttpAuthError('missing');
  if (!m || r.header.length > MAX_HEADER) throw new HttpAuthError('malformed');
  let parsed;
  try {
    parsed = eventSchema.safeParse(JSON.parse(Buffer.from(m[1]!, 'base64').toString('utf8')));
  } catch {
    throw new HttpAuthError('malformed');
  }
  if (!parsed.success) throw new HttpAuthError('malformed');
  const event = parsed.data as NostrEvent;
  if (event.kind !== HTTP_AUTH_KIND) throw new HttpAuthError('wrong_kind');
  if (!verifyEvent({ ...event })) throw new HttpAuthError('bad_signature');
  const now = r.nowSeconds ?? nowSeconds();
  if (Math.abs(now - event.created_at) > (r.windowSeconds ?? 60)) throw new HttpAuthError('stale');
  const tag = (name: string) => event.tags.find((t) => t[0] === name)?.[1];
  const norm = r.normalizeUrl ?? ((u: string) => u);
  const u = tag('u');
  if (u === undefined || !(typeof r.url === 'string' ? [r.url] : r.url).some((allowed) => norm(allowed) === norm(u))) throw new HttpAuthError('wrong_url');
  if (tag('method')?.toUpperCase() !== r.method.toUpperCase()) throw new HttpAuthError('wrong_method');
  const payload = tag('payload');
  const hasBody = r.body !== undefined && r.body.length > 0;
  if ((hasBody || payload !== undefined) && payload !== payloadHash(r.body ?? '')) throw new HttpAuthError('wrong_payload');
  return event;
}

/** The header value a client sends (`Nostr <base64>`), signed with `secretKey`. */
export function httpAuthHeader(secretKey: Uint8Array, req: { url: string; method: string; body?: Uint8Array | string; createdAt?: number }): string {
  const tags = [['u', req.url], ['method', req.method.toUpperCase()]];
  if (req.body !== undefined && req.body.length > 0) tags.push(['payload', payloadHash(req.body)]);
  const event = finalizeEvent({ kind: HTTP_AUTH_KIND, created_at: req.createdAt ?? nowSeconds(), tags, content: '' }, secretKey);
  return `Nostr ${Buffer.from(JSON.stringify(event)).toString('base64')}`;
}
