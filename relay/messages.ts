// Client → relay messages: cheap but complete shape checks on the hot path (no zod here),
// and the relay → client message encoders. Protocol errors are values, never exceptions.
import type { Filter, NostrEvent } from './types.ts';
import { HEX32, HEX64 } from '../core/hex.ts';

export interface ParseLimits {
  maxFilters: number;
  maxFilterValues: number;
  maxSubIdLength: number;
}

export type ClientMessage =
  | { type: 'EVENT'; event: NostrEvent }
  | { type: 'AUTH'; event: NostrEvent }
  | { type: 'REQ' | 'COUNT'; subId: string; filters: Filter[] }
  | { type: 'CLOSE'; subId: string }
  | { type: 'NEG-OPEN'; subId: string; filter: Filter; message: string }
  | { type: 'NEG-MSG'; subId: string; message: string }
  | { type: 'NEG-CLOSE'; subId: string }
  /** Refused: `reply` is the encoded answer (OK false, CLOSED, NEG-ERR or NOTICE). */
  | { type: 'bad'; reply: string };

const hexEven = /^(?:[0-9a-f]{2})+$/;
const MAX_TIMESTAMP = 2 ** 53 - 1;

const isInt = (v: unknown, min: number, max: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

/** Returns why `e` is not a well-formed event, or undefined when it is one. */
export function eventShapeError(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return 'event must be an object';
  const ev = e as Record<string, unknown>;
  if (typeof ev.id !== 'string' || !HEX32.test(ev.id)) return 'id must be 64 lowercase hex characters';
  if (typeof ev.pubkey !== 'string' || !HEX32.test(ev.pubkey)) return 'pubkey must be 64 lowercase hex characters';
  if (typeof ev.sig !== 'string' || !HEX64.test(ev.sig)) return 'sig must be 128 lowercase hex characters';
  if (!isInt(ev.created_at, 0, MAX_TIMESTAMP)) return 'created_at must be a non-negative integer';
  if (!isInt(ev.kind, 0, 65535)) return 'kind must be an integer between 0 and 65535';
  if (typeof ev.content !== 'string') return 'content must be a string';
  if (!Array.isArray(ev.tags)) return 'tags must be an array';
  for (const tag of ev.tags) {
    if (!Array.isArray(tag)) return 'each tag must be an array of strings';
    for (const v of tag) if (typeof v !== 'string') return 'each tag must be an array of strings';
  }
  return undefined;
}

/** The event with exactly the NIP-01 fields, as canonical JSON (what we store and send). */
export function canonicalEvent(e: NostrEvent): { event: NostrEvent; raw: string } {
  const event: NostrEvent = { id: e.id, pubkey: e.pubkey, created_at: e.created_at, kind: e.kind, tags: e.tags, content: e.content, sig: e.sig };
  return { event, raw: JSON.stringify(event) };
}

function strings(v: unknown, max: number, test?: RegExp): string[] | string {
  if (!Array.isArray(v)) return 'must be an array';
  if (v.length > max) return `has more than ${max} values`;
  for (const s of v) if (typeof s !== 'string' || (test && !test.test(s))) return test ? 'must hold 64 lowercase hex characters each' : 'must hold strings';
  return v as string[];
}

/** Validates one filter; returns it, or the reason it is refused. */
export function parseFilter(f: unknown, limits: ParseLimits): Filter | string {
  if (typeof f !== 'object' || f === null || Array.isArray(f)) return 'filter must be an object';
  const out: Filter = {};
  for (const [key, value] of Object.entries(f)) {
    switch (key) {
      case 'ids': case 'authors': {
        const r = strings(value, limits.maxFilterValues, HEX32);
        if (typeof r === 'string') return `${key} ${r}`;
        out[key] = r;
        break;
      }
      case 'kinds': {
        if (!Array.isArray(value) || value.length > limits.maxFilterValues) return `kinds must be an array of at most ${limits.maxFilterValues} values`;
        for (const k of value) if (!isInt(k, 0, 65535)) return 'kinds must hold integers between 0 and 65535';
        out.kinds = value as number[];
        break;
      }
      case 'since': case 'until': case 'limit':
        if (!isInt(value, 0, MAX_TIMESTAMP)) return `${key} must be a non-negative integer`;
        out[key] = value;
        break;
      case 'search':
        if (typeof value !== 'string' || value.length > 256) return 'search must be a string of at most 256 characters';
        out.search = value;
        break;
      default: {
        if (key.length !== 2 || key[0] !== '#' || !/[A-Za-z]/.test(key[1]!)) return `unsupported filter field ${JSON.stringify(key.slice(0, 20))}`;
        const r = strings(value, limits.maxFilterValues);
        if (typeof r === 'string') return `${key} ${r}`;
        (out.tags ??= []).push([key[1]!, r]);
      }
    }
  }
  return out;
}

function subIdError(id: unknown, limits: ParseLimits): string | undefined {
  if (typeof id !== 'string' || id.length === 0) return 'subscription id must be a non-empty string';
  if (id.length > limits.maxSubIdLength) return `subscription id longer than ${limits.maxSubIdLength}`;
  return undefined;
}

export function parseClientMessage(text: string, limits: ParseLimits): ClientMessage {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return { type: 'bad', reply: notice('invalid: message is not JSON') };
  }
  if (!Array.isArray(msg) || typeof msg[0] !== 'string') return { type: 'bad', reply: notice('invalid: message must be an array starting with a verb') };
  const verb = msg[0];
  switch (verb) {
    case 'EVENT': case 'AUTH': {
      const e = msg[1];
      const why = msg.length !== 2 ? `${verb} takes exactly one event` : eventShapeError(e);
      if (why) {
        const id = (e as { id?: unknown } | null)?.id;
        return { type: 'bad', reply: typeof id === 'string' && HEX32.test(id) ? ok(id, false, `invalid: ${why}`) : notice(`invalid: ${why}`) };
      }
      return { type: verb, event: e as NostrEvent };
    }
    case 'REQ': case 'COUNT': {
      const subId = msg[1];
      const idErr = subIdError(subId, limits);
      if (idErr) return { type: 'bad', reply: notice(`invalid: ${idErr}`) };
      const sid = subId as string;
      const raw = msg.slice(2);
      if (raw.length === 0) return { type: 'bad', reply: closed(sid, `invalid: ${verb} needs at least one filter`) };
      if (raw.length > limits.maxFilters) return { type: 'bad', reply: closed(sid, `invalid: more than ${limits.maxFilters} filters`) };
      const filters: Filter[] = [];
      for (const f of raw) {
        const r = parseFilter(f, limits);
        if (typeof r === 'string') return { type: 'bad', reply: closed(sid, `invalid: ${r}`) };
        filters.push(r);
      }
      return { type: verb, subId: sid, filters };
    }
    case 'CLOSE': case 'NEG-CLOSE': {
      const idErr = msg.length !== 2 ? `${verb} takes exactly a subscription id` : subIdError(msg[1], limits);
      if (idErr) return { type: 'bad', reply: notice(`invalid: ${idErr}`) };
      return { type: verb, subId: msg[1] as string };
    }
    case 'NEG-OPEN': case 'NEG-MSG': {
      const idErr = subIdError(msg[1], limits);
      if (idErr) return { type: 'bad', reply: notice(`invalid: ${idErr}`) };
      const sid = msg[1] as string;
      const hexMsg = verb === 'NEG-OPEN' ? msg[3] : msg[2];
      if (msg.length !== (verb === 'NEG-OPEN' ? 4 : 3) || typeof hexMsg !== 'string' || !hexEven.test(hexMsg)) {
        return { type: 'bad', reply: negErr(sid, `invalid: malformed ${verb}`) };
      }
      if (verb === 'NEG-MSG') return { type: verb, subId: sid, message: hexMsg };
      const filter = parseFilter(msg[2], limits);
      if (typeof filter === 'string') return { type: 'bad', reply: negErr(sid, `invalid: ${filter}`) };
      return { type: verb, subId: sid, filter, message: hexMsg };
    }
    default:
      return { type: 'bad', reply: notice(`invalid: unknown message type ${JSON.stringify(verb.slice(0, 20))}`) };
  }
}

// Relay → client messages, as text ready for the socket.
export const ok = (id: string, accepted: boolean, message = '') => `["OK","${id}",${accepted},${JSON.stringify(message)}]`;
export const notice = (message: string) => `["NOTICE",${JSON.stringify(message)}]`;
export const closed = (subId: string, message: string) => `["CLOSED",${JSON.stringify(subId)},${JSON.stringify(message)}]`;
export const eose = (subId: string) => `["EOSE",${JSON.stringify(subId)}]`;
export const eventMessage = (subId: string, raw: string) => `["EVENT",${JSON.stringify(subId)},${raw}]`;
export const authChallenge = (challenge: string) => `["AUTH","${challenge}"]`;
export const countMessage = (subId: string, body: { count: number; hll?: string }) => `["COUNT",${JSON.stringify(subId)},${JSON.stringify(body)}]`;
export const negMsg = (subId: string, message: string) => `["NEG-MSG",${JSON.stringify(subId)},"${message}"]`;
export const negErr = (subId: string, reason: string) => `["NEG-ERR",${JSON.stringify(subId)},${JSON.stringify(reason)}]`;
