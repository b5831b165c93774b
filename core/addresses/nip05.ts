// NIP-05 both ways: our `/.well-known/nostr.json` answers, and `name@domain` → pubkey lookups
// of other domains (our own names without HTTP).
import { z } from 'zod';
import type { Context } from '../context.ts';
import { hex32 } from '../hex.ts';
import type { LnurlClient } from '../lnurl.ts';
import { botRelays } from '../nostr/relays.ts';
import { addressDomain } from './addresses.ts';
import { ownerOf } from './usernames.ts';

/** GET /.well-known/nostr.json?name=<name>; unknown names give empty maps. */
export async function nostrJson(ctx: Context, name: string | undefined): Promise<{ names: Record<string, string>; relays: Record<string, string[]> }> {
  const pubkey = name ? await ownerOf(ctx, name) : undefined;
  if (!name || !pubkey) return { names: {}, relays: {} };
  return { names: { [name.toLowerCase()]: pubkey }, relays: { [pubkey]: botRelays(ctx.config) } };
}

const NIP05 = /^([a-z0-9._-]+)@([a-z0-9.-]+(?::\d+)?)$/;

/**
 * NIP-05 `name@domain` → pubkey, undefined when the domain does not say. The LNURL client
 * knows how to reach a domain (its dev host map in tests).
 */
export async function resolveNip05(ctx: Context, lnurl: LnurlClient, id: string, fetchImpl: typeof fetch = ctx.outbound.fetch): Promise<string | undefined> {
  const m = NIP05.exec(id.toLowerCase());
  if (!m) return undefined;
  if (m[2] === addressDomain(ctx.config)) return ownerOf(ctx, m[1]!);
  const base = new URL(lnurl.addressUrl({ name: m[1]!, domain: m[2]! })).origin;
  try {
    const res = await fetchImpl(`${base}/.well-known/nostr.json?name=${encodeURIComponent(m[1]!)}`, { redirect: 'error', signal: AbortSignal.timeout(ctx.config.LNURL_TIMEOUT_MS) });
    const body = z.object({ names: z.record(z.string(), hex32) }).safeParse(await res.json());
    return body.success ? body.data.names[m[1]!] : undefined;
  } catch {
    return undefined;
  }
}
