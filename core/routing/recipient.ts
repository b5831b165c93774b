// A recipient as people write it → its typed form. Pure: no lookups. Every way to name who is
// paid goes through here, so the DM bot, the business API and zaps read recipients alike.
import { parsePubkey } from '../nostr/keys.ts';
import { isLightningAddress, parseLightningAddress } from '../lnurl.ts';

export type Recipient =
  /** npub, nprofile, or 64 hex characters. */
  | { type: 'pubkey'; pubkey: string }
  /** `name@domain`: a lightning address and/or a NIP-05 name; at our domain, a username here. */
  | { type: 'address'; address: string; name: string; domain: string }
  | { type: 'invoice'; paymentRequest: string }
  /** A bech32 LNURL-pay link (LUD-01). */
  | { type: 'lnurl'; lnurl: string }
  // Recognised so that the answer is "not supported yet" rather than "not a recipient". A rail
  // that pays them adds its route in route.ts.
  | { type: 'onchain'; address: string }
  | { type: 'cashu'; token: string };

const BOLT11 = /^ln(bc|tb|tbs|bcrt|sb)[0-9]*[munp]?1[02-9ac-hj-np-z]{50,}$/;
const LNURL = /^lnurl1[02-9ac-hj-np-z]+$/;
const SEGWIT = /^(bc|tb|bcrt)1[02-9ac-hj-np-z]{11,87}$/;
/** Base58 P2PKH/P2SH (mainnet 1…/3…, test m…/n…/2…); real ones mix cases, which names do not. */
const BASE58 = /^[13mn2][1-9A-HJ-NP-Za-km-z]{25,34}$/;
const CASHU = /^cashu[AB][A-Za-z0-9_=+/-]+$/;

/**
 * Anything else is read as a public key, whose KeyError (with its code: `secret-key` for an
 * nsec, `malformed`, `bad-bech32`…) says why it is no recipient.
 */
export function parseRecipient(input: string): Recipient {
  const raw = input.trim();
  const scheme = /^(lightning|nostr|bitcoin):/i.exec(raw)?.[1]?.toLowerCase();
  const text = raw.slice(scheme ? scheme.length + 1 : 0);
  const lower = text.toLowerCase();
  if (scheme === 'bitcoin' || SEGWIT.test(lower) || (BASE58.test(text) && /[A-Z]/.test(text))) return { type: 'onchain', address: text.split('?')[0]! };
  if (BOLT11.test(lower)) return { type: 'invoice', paymentRequest: lower };
  if (LNURL.test(lower)) return { type: 'lnurl', lnurl: lower };
  if (CASHU.test(text)) return { type: 'cashu', token: text };
  if (lower.includes('@') && isLightningAddress(lower)) {
    const { name, domain } = parseLightningAddress(lower);
    return { type: 'address', address: `${name}@${domain}`, name, domain };
  }
  return { type: 'pubkey', pubkey: parsePubkey(text) };
}
