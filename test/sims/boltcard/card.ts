// An NTAG 424 DNA programmed as a Boltcard: given its keys, UID and read counter, each tap
// gives the NDEF URL a real card would (`lnurlw://…?p=…&c=…`, the counter one higher each time),
// with AES-128 and AES-CMAC done for real (core/cards/ntag424.ts, checked against the
// Boltcard spec's vectors in test/unit/cards-ntag424.test.ts).
import { randomBytes } from 'node:crypto';
import { encryptPicc, MAX_COUNTER, sunMac } from '../../../core/cards/ntag424.ts';

export interface CardKeys { k0: string; k1: string; k2: string; k3: string; k4: string }

/** What the Boltcard NFC Programmer app reads from a card service to program a card. */
export interface ProgrammingJson extends CardKeys {
  protocol_name: string; protocol_version: number; card_name: string; lnurlw_base: string; uid_privacy?: string;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();

export class SimulatedCard {
  readonly uid: Buffer;
  counter: number;
  lnurlwBase?: string;
  keys: CardKeys;

  constructor(opts: { keys: CardKeys; uid?: Buffer; counter?: number; lnurlwBase?: string }) {
    this.keys = opts.keys;
    this.uid = opts.uid ?? Buffer.concat([Buffer.from([0x04]), randomBytes(6)]);
    this.counter = opts.counter ?? 0;
    this.lnurlwBase = opts.lnurlwBase;
  }

  /** A blank card written by the programmer app from the service's JSON, as the app does. */
  static program(json: ProgrammingJson, uid?: Buffer): SimulatedCard {
    if (json.protocol_name !== 'create_bolt_card_response') throw new Error(`not a card programming response: ${json.protocol_name}`);
    return new SimulatedCard({ keys: { k0: json.k0, k1: json.k1, k2: json.k2, k3: json.k3, k4: json.k4 }, uid, lnurlwBase: json.lnurlw_base });
  }

  /** `p` and `c` for the given counter, without reading the card (for replays and forgeries). */
  sun(counter: number): { p: string; c: string } {
    const picc = { uid: this.uid, counter };
    return { p: hex(encryptPicc(Buffer.from(this.keys.k1, 'hex'), picc, randomBytes(5))), c: hex(sunMac(Buffer.from(this.keys.k2, 'hex'), picc)) };
  }

  /** A read: the counter goes up, the NDEF URL comes out. */
  tap(): string {
    if (!this.lnurlwBase) throw new Error('the card is not programmed');
    if (this.counter >= MAX_COUNTER) throw new Error('the read counter is exhausted');
    this.counter++;
    const { p, c } = this.sun(this.counter);
    return `${this.lnurlwBase}?p=${p}&c=${c}`;
  }

  /** Reset with the service's wipe data: refused unless its keys are the card's own (as K0 authentication would be). */
  wipe(data: CardKeys): void {
    if (data.k0 !== this.keys.k0) throw new Error('authentication with K0 failed');
    const zero = '0'.repeat(32);
    this.keys = { k0: zero, k1: zero, k2: zero, k3: zero, k4: zero };
    this.lnurlwBase = undefined;
    this.counter = 0;
  }
}

/** LUD-17: the `lnurlw://` URL a POS reads, as the HTTP(S) request it makes (http for a loopback test service). */
export const lnurlwToHttp = (url: string, scheme: 'https' | 'http' = 'https'): string => url.replace(/^lnurlw:\/\//i, `${scheme}://`);
