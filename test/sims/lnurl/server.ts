// A stand-in for someone else's LNURL-pay server (LUD-06/12/16 with NIP-57 allowsNostr), as
// LNbits or a wallet provider runs it: invoices come from a Lightning node given to it (in
// tests, the external fake node), and each user can be told to misbehave.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import type { CreateInvoiceRequest, Invoice } from '../../../workers/lightning/port.ts';

/** How a user's callback answers: honestly, or with one specific fault. */
export type LnurlSimMode = 'ok' | 'wrong_amount' | 'wrong_hash' | 'error' | 'garbage' | 'http_500';

export interface LnurlSimUser { mode?: LnurlSimMode; commentAllowed?: number; allowsNostr?: boolean }

export interface LnurlSimOptions {
  node: { createInvoice(req: CreateInvoiceRequest): Promise<Invoice> };
  users: Record<string, LnurlSimUser>;
  minSendableMsat?: bigint;
  maxSendableMsat?: bigint;
}

export interface LnurlSim {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** The key that would sign this server's zap receipts. */
  nostrPubkey: string;
  users: Record<string, LnurlSimUser>;
  /** Every callback that produced an invoice, in order. */
  issued: Array<{ name: string; amountMsat: bigint; zapRequest?: string; comment?: string; invoice: Invoice }>;
  close(): Promise<void>;
}

export async function startLnurlSim(opts: LnurlSimOptions): Promise<LnurlSim> {
  const nostrPubkey = getPublicKey(generateSecretKey());
  const issued: LnurlSim['issued'] = [];
  const min = opts.minSendableMsat ?? 1000n;
  const max = opts.maxSendableMsat ?? 100_000_000_000n;
  let base = '';
  const metadataOf = (name: string) => JSON.stringify([['text/plain', `Pay ${name}`], ['text/identifier', `${name}@${new URL(base).host}`]]);
  const hashOf = (text: string) => bytesToHex(sha256(new TextEncoder().encode(text)));

  const server = http.createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    void (async () => {
      const url = new URL(req.url ?? '/', base);
      const info = /^\/\.well-known\/lnurlp\/([^/]+)$/.exec(url.pathname);
      const callback = /^\/lnurlp\/([^/]+)\/callback$/.exec(url.pathname);
      const name = decodeURIComponent((info ?? callback)?.[1] ?? '');
      const user = opts.users[name];
      if (!user) return send(404, { status: 'ERROR', reason: 'no such user' });
      if (info) {
        return send(200, {
          tag: 'payRequest', callback: `${base}/lnurlp/${encodeURIComponent(name)}/callback`, minSendable: Number(min), maxSendable: Number(max),
          metadata: metadataOf(name), commentAllowed: user.commentAllowed ?? 100,
          ...(user.allowsNostr !== false && { allowsNostr: true, nostrPubkey }),
        });
      }
      const mode = user.mode ?? 'ok';
      if (mode === 'error') return send(200, { status: 'ERROR', reason: 'temporarily out of invoices' });
      if (mode === 'garbage') return send(200, '<html>not json</html>');
      if (mode === 'http_500') return send(500, 'oops');
      const amount = url.searchParams.get('amount') ?? '';
      if (!/^\d+$/.test(amount) || BigInt(amount) < min || BigInt(amount) > max) return send(200, { status: 'ERROR', reason: 'amount out of range' });
      const zapRequest = url.searchParams.get('nostr') ?? undefined;
      const comment = url.searchParams.get('comment') ?? undefined;
      const amountMsat = BigInt(amount) + (mode === 'wrong_amount' ? 1000n : 0n);
      const descriptionHash = mode === 'wrong_hash' ? hashOf('something else') : hashOf(zapRequest ?? metadataOf(name));
      const invoice = await opts.node.createInvoice({ amountMsat, descriptionHash, expirySeconds: 600 });
      issued.push({ name, amountMsat, zapRequest, comment, invoice });
      return send(200, { pr: invoice.paymentRequest, routes: [] });
    })().catch((err: Error) => send(500, { status: 'ERROR', reason: err.message }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base, nostrPubkey, users: opts.users, issued,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
