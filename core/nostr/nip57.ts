// NIP-57 (Lightning Zaps): zap requests (kind 9734) checked as Appendix D says, and zap
// receipts (kind 9735, Appendix E). Pure: no I/O; callers sign and publish.
import { isAddressableKind, isReplaceableKind } from 'nostr-tools/kinds';
import { makeZapReceipt, makeZapRequest } from 'nostr-tools/nip57';
import type { EventTemplate, NostrEvent } from 'nostr-tools/pure';
import { CodedError } from '../errors.ts';
import { eventSchema } from './event.ts';
import { signatureError } from './secp.ts';
import { HEX32 } from '../hex.ts';

export const ZAP_REQUEST_KIND = 9734;
export const ZAP_RECEIPT_KIND = 9735;
/** A zap request travels in a query string; anything bigger is abuse, not a zap. */
export const MAX_ZAP_REQUEST_BYTES = 16_384;
const MAX_RELAYS = 20;

/** Why a zap request was refused; `rule` is the Appendix D item (0: not in the appendix). */
export const zapRequestReasons = {
  malformed: { rule: 0, text: 'not a JSON nostr event' },
  too_large: { rule: 0, text: `larger than ${MAX_ZAP_REQUEST_BYTES} bytes` },
  wrong_kind: { rule: 0, text: `kind must be ${ZAP_REQUEST_KIND}` },
  bad_signature: { rule: 1, text: 'invalid id or signature' },
  no_tags: { rule: 2, text: 'has no tags' },
  p_tag: { rule: 3, text: 'must have exactly one p tag with a hex pubkey' },
  e_tag: { rule: 4, text: 'must have at most one e tag with a hex event id' },
  relays: { rule: 5, text: `needs a relays tag with 1 to ${MAX_RELAYS} ws:// or wss:// URLs` },
  amount_mismatch: { rule: 6, text: 'amount tag differs from the amount query parameter' },
  a_tag: { rule: 7, text: 'a tag is not a valid event coordinate' },
  P_tag: { rule: 8, text: 'must have at most one P tag, equal to the zap sender pubkey' },
  wrong_recipient: { rule: 0, text: 'p tag is not the owner of this address' },
} as const;
export type ZapRequestReason = keyof typeof zapRequestReasons;

export class ZapRequestError extends CodedError<ZapRequestReason> {
  override name = 'ZapRequestError';
  constructor(code: ZapRequestReason, detail?: string) {
    super(code, `invalid zap request: ${zapRequestReasons[code].text}${detail ? ` (${detail})` : ''}`);
  }
}


/** What the service keeps of a valid zap request. */
export interface ZapRequest {
  event: NostrEvent;
  /** The exact JSON received: its SHA-256 is the invoice's description hash. */
  json: string;
  recipient: string;
  sender: string;
  eventId?: string;
  coordinate?: string;
  /** Kind of the zapped event (`k` tag), when given. */
  zappedKind?: number;
  relays: string[];
  amountMsat?: bigint;
  anonymous: boolean;
  comment: string;
}

const tagsNamed = (event: NostrEvent, name: string) => event.tags.filter((t) => t[0] === name);

/** `<kind>:<pubkey>:<d>` naming a replaceable (empty d) or addressable event. */
export function isEventCoordinate(value: string): boolean {
  const m = /^(\d{1,5}):([0-9a-f]{64}):(.*)$/s.exec(value);
  if (!m) return false;
  const kind = Number(m[1]);
  return isAddressableKind(kind) || (isReplaceableKind(kind) && m[3] === '');
}

function validRelay(url: string): boolean {
  try {
    const u = new URL(url);
    return (u.protocol === 'ws:' || u.protocol === 'wss:') && u.hostname !== '';
  } catch {
    return false;
  }
}

function singleHex(event: NostrEvent, name: 'p' | 'e', required: boolean, reason: ZapRequestReason): string | undefined {
  const tags = tagsNamed(event, name);
  if (tags.length > 1 || (required && tags.length === 0)) throw new ZapRequestError(reason, `${tags.length} ${name} tags`);
  const value = tags[0]?.[1];
  if (tags.length && !HEX32.test(value ?? '')) throw new ZapRequestError(reason, 'not 64 lower-case hex characters');
  return value;
}

/**
 * Parses and validates the `nostr` query parameter of an LNURL-pay callback (Appendix D).
 * `amountMsat` is the callback's `amount` (omitted only to re-read a request checked before);
 * `recipient`, when given, must be the p tag; `trusted` skips the signature check of a request
 * this service validated or signed itself before storing it.
 */
export function parseZapRequest(json: string, opts: { amountMsat?: bigint; recipient?: string; trusted?: boolean }): ZapRequest {
  if (Buffer.byteLength(json) > MAX_ZAP_REQUEST_BYTES) throw new ZapRequestError('too_large');
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new ZapRequestError('malformed');
  }
  const shape = eventSchema.safeParse(raw);
  if (!shape.success) throw new ZapRequestError('malformed', shape.error.issues[0]?.path.join('.'));
  const event = shape.data as NostrEvent;
  if (event.kind !== ZAP_REQUEST_KIND) throw new ZapRequestError('wrong_kind', `got ${event.kind}`);
  if (!opts.trusted && signatureError(event) !== undefined) throw new ZapRequestError('bad_signature');
  if (event.tags.length === 0) throw new ZapRequestError('no_tags');
  const recipient = singleHex(event, 'p', true, 'p_tag')!;
  const eventId = singleHex(event, 'e', false, 'e_tag');

  const relayTags = tagsNamed(event, 'relays');
  const relays = [...new Set(relayTags.flatMap((t) => t.slice(1)))];
  if (relayTags.length !== 1 || relays.length === 0 || relays.length > MAX_RELAYS || !relays.every(validRelay)) {
    throw new ZapRequestError('relays');
  }

  const amountTags = tagsNamed(event, 'amount');
  let amountMsat: bigint | undefined;
  if (amountTags.length) {
    const value = amountTags[0]![1] ?? '';
    if (amountTags.length > 1 || !/^\d{1,18}$/.test(value) || (opts.amountMsat !== undefined && BigInt(value) !== opts.amountMsat)) {
      throw new ZapRequestError('amount_mismatch', `amount tag ${amountTags.map((t) => t[1]).join(',')}, query ${opts.amountMsat}`);
    }
    amountMsat = BigInt(value);
  }

  const aTags = tagsNamed(event, 'a');
  if (aTags.length > 1 || (aTags.length === 1 && !isEventCoordinate(aTags[0]![1] ?? ''))) throw new ZapRequestError('a_tag');
  const coordinate = aTags[0]?.[1];

  // Appendix D's item 8: the receipt's P is the request's pubkey, so a P tag must name it.
  const senderTags = tagsNamed(event, 'P');
  if (senderTags.length > 1 || (senderTags.length === 1 && senderTags[0]![1] !== event.pubkey)) throw new ZapRequestError('P_tag');

  if (opts.recipient !== undefined && recipient !== opts.recipient) throw new ZapRequestError('wrong_recipient');
  const k = tagsNamed(event, 'k')[0]?.[1];
  return {
    event, json, recipient, sender: event.pubkey, eventId, coordinate,
    zappedKind: k !== undefined && /^\d{1,5}$/.test(k) ? Number(k) : undefined,
    relays, amountMsat, anonymous: tagsNamed(event, 'anon').length > 0, comment: event.content,
  };
}

/** The receipt template (Appendix E): p, e, a, P, k as present, bolt11, description, preimage. */
export function buildZapReceipt(req: ZapRequest, paid: { bolt11: string; preimage?: string; paidAt: Date }): EventTemplate {
  const receipt = makeZapReceipt({ zapRequest: req.json, bolt11: paid.bolt11, preimage: paid.preimage, paidAt: paid.paidAt });
  if (req.zappedKind !== undefined) receipt.tags.splice(receipt.tags.findIndex((t) => t[0] === 'bolt11'), 0, ['k', String(req.zappedKind)]);
  return receipt;
}

/** What is being zapped: a profile, or an event (with its coordinate for addressable ones). */
export interface ZapTarget {
  recipient: string;
  eventId?: string;
  coordinate?: string;
  kind?: number;
}

/** An unsigned zap request; `anonymous` adds the anon tag (sign it with a throwaway key). */
export function buildZapRequest(t: ZapTarget & { amountMsat: bigint; relays: string[]; comment?: string; lnurl?: string; anonymous?: boolean }): EventTemplate {
  const template = makeZapRequest({ pubkey: t.recipient, amount: 0, relays: t.relays, comment: t.comment });
  const tags = template.tags.map((tag) => (tag[0] === 'amount' ? ['amount', t.amountMsat.toString()] : tag));
  if (t.lnurl) tags.push(['lnurl', t.lnurl]);
  if (t.eventId) tags.push(['e', t.eventId]);
  if (t.coordinate) tags.push(['a', t.coordinate]);
  if (t.kind !== undefined) tags.push(['k', String(t.kind)]);
  if (t.anonymous) tags.push(['anon']);
  return { ...template, tags };
}
