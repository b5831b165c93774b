// NIP-86 relay management API: JSON-RPC-like POSTs with Content-Type
// application/nostr+json+rpc on the relay's HTTP port, authorized by a NIP-98 event
// (kind 27235, `u` = the relay URL, `method` POST, `payload` = sha256 of the body) signed
// by one of RELAY_ADMIN_PUBKEYS, each used once. Lists live in relay_lists and reach every process.
import { z } from 'zod';
import { nowSeconds } from '../../core/nostr/event.ts';
import { HttpAuthError, verifyHttpAuth } from '../../core/nostr/nip98.ts';
import type { RelayEngine } from '../engine.ts';
import type { ListName } from '../policy.ts';
import type { NostrEvent } from '../types.ts';
import { normalizeRelayUrl } from '../urls.ts';

export const RPC_CONTENT_TYPE = 'application/nostr+json+rpc';

export interface RpcReply { status: number; body: { result?: unknown; error?: string } }

const hex = z.string().regex(/^[0-9a-fA-F]{64}$/).transform((s) => s.toLowerCase());
const reason = z.string().max(1000).optional();
const kindParam = z.number().int().min(0).max(65535);
const request = z.object({ method: z.string().max(64), params: z.array(z.unknown()).max(10).default([]) });

/** How long (seconds) a NIP-98 authorization is fresh; its id is remembered twice as long. */
const AUTH_WINDOW = 60;

/**
 * Why the Authorization header (NIP-98, core/nostr/nip98.ts) does not authorize this request,
 * or undefined. Each authorization works once: a captured header cannot be replayed, as with
 * the business API (its event id is remembered in Redis while it is fresh).
 */
async function authorizationError(r: RelayEngine, header: string | undefined, body: Buffer, urls: readonly string[]): Promise<string | undefined> {
  let e: NostrEvent;
  try {
    e = verifyHttpAuth({ header, url: urls, normalizeUrl: normalizeRelayUrl, method: 'POST', body, nowSeconds: nowSeconds(), windowSeconds: AUTH_WINDOW });
  } catch (err) {
    if (err instanceof HttpAuthError) return `authorization: ${err.message}`;
    throw err;
  }
  if (!r.config.RELAY_ADMIN_PUBKEYS.some((a) => a.toLowerCase() === e.pubkey)) return 'this pubkey is not a relay admin';
  const fresh = await r.redis.set(`${r.config.REDIS_PREFIX}:relay:nip98:${e.id}`, '1', 'EX', AUTH_WINDOW * 2, 'NX');
  if (fresh !== 'OK') return `authorization: ${new HttpAuthError('replayed').message}`;
  return undefined;
}

type Method = (r: RelayEngine, params: unknown[]) => Promise<unknown>;

async function put(r: RelayEngine, list: ListName, value: string, why: string | undefined, unset?: ListName): Promise<true> {
  await r.store.sql.begin(async (tx) => {
    await tx`insert into relay_lists (list, value, reason) values (${list}, ${value}, ${why ?? null})
      on conflict (list, value) do update set reason = excluded.reason`;
    if (unset) await tx`delete from relay_lists where list = ${unset} and value = ${value}`;
  });
  await r.policyChanged();
  return true;
}

async function remove(r: RelayEngine, list: ListName, value: string): Promise<true> {
  await r.store.sql`delete from relay_lists where list = ${list} and value = ${value}`;
  await r.policyChanged();
  return true;
}

const listed = (r: RelayEngine, list: ListName, key: string) =>
  [...r.policy.list(list)].map(([value, why]) => ({ [key]: value, ...(why ? { reason: why } : {}) }));

async function setting(r: RelayEngine, name: string, value: string): Promise<true> {
  await r.store.sql`insert into relay_settings (name, value) values (${name}, ${value}) on conflict (name) do update set value = excluded.value`;
  await r.policyChanged();
  return true;
}

const one = <T extends z.ZodType>(s: T) => z.tuple([s, reason]).or(z.tuple([s]));
const args = <T extends z.ZodType>(s: T, params: unknown[]) => one(s).parse(params) as [z.infer<T>, string?];

const methods: Record<string, Method> = {
  supportedmethods: async () => Object.keys(methods),
  banpubkey: (r, p) => { const [pk, why] = args(hex, p); return put(r, 'ban_pubkey', pk, why, 'allow_pubkey'); },
  unbanpubkey: (r, p) => remove(r, 'ban_pubkey', args(hex, p)[0]),
  listbannedpubkeys: async (r) => listed(r, 'ban_pubkey', 'pubkey'),
  allowpubkey: (r, p) => { const [pk, why] = args(hex, p); return put(r, 'allow_pubkey', pk, why, 'ban_pubkey'); },
  unallowpubkey: (r, p) => remove(r, 'allow_pubkey', args(hex, p)[0]),
  listallowedpubkeys: async (r) => listed(r, 'allow_pubkey', 'pubkey'),
  banevent: async (r, p) => {
    const [id, why] = args(hex, p);
    await put(r, 'ban_event', id, why);
    await r.store.deleteIds([id]);
    return true;
  },
  allowevent: (r, p) => remove(r, 'ban_event', args(hex, p)[0]),
  unbanevent: (r, p) => remove(r, 'ban_event', args(hex, p)[0]),
  listbannedevents: async (r) => listed(r, 'ban_event', 'id'),
  allowkind: (r, p) => put(r, 'allow_kind', String(z.tuple([kindParam]).parse(p)[0]), undefined, 'deny_kind'),
  disallowkind: (r, p) => put(r, 'deny_kind', String(z.tuple([kindParam]).parse(p)[0]), undefined, 'allow_kind'),
  listallowedkinds: async (r) => [...r.policy.list('allow_kind').keys()].map(Number),
  listdisallowedkinds: async (r) => [...r.policy.list('deny_kind').keys()].map(Number),
  blockip: (r, p) => { const [ip, why] = args(z.ipv4().or(z.ipv6()), p); return put(r, 'block_ip', ip, why); },
  unblockip: (r, p) => remove(r, 'block_ip', args(z.string().max(64), p)[0]),
  listblockedips: async (r) => listed(r, 'block_ip', 'ip'),
  changerelayname: (r, p) => setting(r, 'name', z.tuple([z.string().max(200)]).parse(p)[0]),
  changerelaydescription: (r, p) => setting(r, 'description', z.tuple([z.string().max(5000)]).parse(p)[0]),
  changerelayicon: (r, p) => setting(r, 'icon', z.tuple([z.url()]).parse(p)[0]),
};

export async function handleManagement(r: RelayEngine, authorization: string | undefined, body: Buffer, urls: readonly string[]): Promise<RpcReply> {
  const denied = await authorizationError(r, authorization, body, urls);
  if (denied) return { status: 401, body: { error: denied } };
  let req: z.infer<typeof request>;
  try {
    req = request.parse(JSON.parse(body.toString('utf8')));
  } catch {
    return { status: 400, body: { error: 'body must be {"method": string, "params": array}' } };
  }
  const method = Object.hasOwn(methods, req.method) ? methods[req.method] : undefined;
  if (!method) return { status: 200, body: { error: `unsupported method ${req.method}` } };
  try {
    return { status: 200, body: { result: await method(r, req.params) } };
  } catch (err) {
    if (err instanceof z.ZodError) return { status: 200, body: { error: `invalid params for ${req.method}` } };
    r.log.error({ err, method: req.method }, 'relay: management call failed');
    return { status: 500, body: { error: 'internal error' } };
  }
}
