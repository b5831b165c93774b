// NIP-05: `name@domain` → a pubkey, from https://domain/.well-known/nostr.json?name=name.
// Redirects are refused, as NIP-05 requires; any failure means "no such address".
import { z } from 'zod';

const nostrJson = z.object({ names: z.record(z.string(), z.string()) });
const HEX_PUBKEY = /^[0-9a-f]{64}$/;
const MAX_BODY = 256 * 1024;

export interface Nip05Options {
  /** Dev/test only: domain → base URL served over plain HTTP (e.g. `bob.test` → `http://127.0.0.1:4567`). */
  hosts?: Record<string, string>;
  timeoutMs: number;
  fetch?: typeof fetch;
}

/** The pubkey (hex) that `domain` names `name`, or undefined. */
export async function resolveNip05(name: string, domain: string, opts: Nip05Options): Promise<string | undefined> {
  const base = opts.hosts?.[domain] ?? `https://${domain}`;
  const url = `${base}/.well-known/nostr.json?name=${encodeURIComponent(name)}`;
  try {
    const res = await (opts.fetch ?? fetch)(url, { redirect: 'error', signal: AbortSignal.timeout(opts.timeoutMs), headers: { accept: 'application/json' } });
    if (!res.ok || Number(res.headers.get('content-length') ?? 0) > MAX_BODY) return undefined;
    const body = nostrJson.safeParse(JSON.parse(await res.text()));
    if (!body.success) return undefined;
    const pubkey = (body.data.names[name] ?? body.data.names[name.toLowerCase()])?.toLowerCase();
    return pubkey && HEX_PUBKEY.test(pubkey) ? pubkey : undefined;
  } catch {
    return undefined;
  }
}
