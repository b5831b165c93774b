import * as nip19 from 'nostr-tools/nip19';
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { describe, expect, it } from 'vitest';
import { KeyError } from '../../../core/nostr/keys.ts';
import { encodeBolt11 } from '../../../core/lightning/bolt11.ts';
import { encodeLnurl } from '../../../core/lnurl.ts';
import { parseRecipient } from '../../../core/routing/recipient.ts';

const pk = getPublicKey(generateSecretKey());
const keyError = (input: string) => {
  try {
    parseRecipient(input);
  } catch (err) {
    if (err instanceof KeyError) return err.code;
    throw err;
  }
  return 'parsed';
};

describe('parseRecipient', () => {
  it('reads every form people write a recipient in', () => {
    expect(parseRecipient(nip19.npubEncode(pk))).toEqual({ type: 'pubkey', pubkey: pk });
    expect(parseRecipient(`nostr:${nip19.nprofileEncode({ pubkey: pk, relays: ['wss://r.example'] })}`)).toEqual({ type: 'pubkey', pubkey: pk });
    expect(parseRecipient(pk.toUpperCase())).toEqual({ type: 'pubkey', pubkey: pk });
    expect(parseRecipient(' Alice@Example.com ')).toEqual({ type: 'address', address: 'alice@example.com', name: 'alice', domain: 'example.com' });
    const invoice = encodeBolt11({
      privateKey: generateSecretKey(), network: 'regtest', paymentHash: 'ab'.repeat(32), paymentSecret: 'cd'.repeat(32), amountMsat: 1000n,
      createdAt: new Date(), expirySeconds: 600, cltvDelta: 40,
    });
    expect(parseRecipient(`lightning:${invoice.toUpperCase()}`)).toEqual({ type: 'invoice', paymentRequest: invoice });
    const lnurl = encodeLnurl('https://shop.example/lnurlp/bob');
    expect(parseRecipient(lnurl.toUpperCase())).toEqual({ type: 'lnurl', lnurl });
  });

  it('recognises on-chain addresses and Cashu tokens, which routing refuses as not supported yet', () => {
    expect(parseRecipient('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4')).toMatchObject({ type: 'onchain' });
    expect(parseRecipient('bitcoin:1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2?amount=0.1')).toEqual({ type: 'onchain', address: '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2' });
    expect(parseRecipient('cashuBo2FteCJodHRwczovL21pbnQuZXhhbXBsZS5jb20')).toMatchObject({ type: 'cashu' });
  });

  it('says why anything else is no recipient, never echoing an nsec', () => {
    expect(keyError(nip19.nsecEncode(generateSecretKey()))).toBe('secret-key');
    expect(keyError('bob')).toBe('malformed');
    expect(keyError(nip19.npubEncode(pk).slice(0, -2))).toBe('bad-bech32');
    expect(keyError('abc123')).toBe('bad-length');
  });
});
