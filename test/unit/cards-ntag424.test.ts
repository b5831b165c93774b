// The card crypto against published vectors: RFC 4493 (AES-CMAC) and the Boltcard spec's
// test vectors (docs/TEST_VECTORS.md: p, c, K1, K2 → UID, counter, and the SV2, Ks, MAC
// listed with them), and the simulator's taps verified by the server's functions.
import { describe, expect, it } from 'vitest';
import { aesCmac, decryptPicc, sunMac, sv2Of } from '../../core/cards/ntag424.ts';
import { SimulatedCard } from '../sims/boltcard/card.ts';

const b = (h: string) => Buffer.from(h, 'hex');

describe('AES-CMAC (RFC 4493, section 4)', () => {
  const key = b('2b7e151628aed2a6abf7158809cf4f3c');
  const msg = b('6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710');
  it.each([
    [0, 'bb1d6929e95937287fa37d129b756746'],
    [16, '070a16b46b4d4144f79bdd9dd04a287c'],
    [40, 'dfa66747de9ae63030ca32611497c827'],
    [64, '51f0bebf7e3b9d92fc49741779363cfe'],
  ])('of %i bytes', (len, mac) => {
    expect(aesCmac(key, msg.subarray(0, len)).toString('hex')).toBe(mac);
  });
});

describe('Boltcard test vectors', () => {
  const k1 = b('0c3b25d92b38ae443229dd59ad34b85d');
  const k2 = b('b45775776cb224c75bcde7ca3704e933');
  const uid = '04996c6a926980';
  it.each([
    ['4E2E289D945A66BB13377A728884E867', 'E19CCB1FED8892CE', 3],
    ['00F48C4F8E386DED06BCDC78FA92E2FE', '66B4826EA4C155B4', 5],
    ['0DBF3C59B59B0638D60B5842A997D4D1', 'CC61660C020B4D96', 7],
  ])('p=%s c=%s: counter %i', (p, c, counter) => {
    const picc = decryptPicc(k1, b(p))!;
    expect(picc.uid.toString('hex')).toBe(uid);
    expect(picc.counter).toBe(counter);
    expect(sunMac(k2, picc).toString('hex').toUpperCase()).toBe(c);
  });

  it('derives the listed SV2, session key and full MAC of the first tap', () => {
    const picc = { uid: b(uid), counter: 3 };
    expect([...sv2Of(picc)]).toEqual([60, 195, 0, 1, 0, 128, 4, 153, 108, 106, 146, 105, 128, 3, 0, 0]);
    const ks = aesCmac(k2, sv2Of(picc));
    expect([...ks]).toEqual([242, 92, 75, 92, 230, 171, 63, 244, 5, 242, 135, 175, 172, 78, 77, 26]);
    expect([...aesCmac(ks, Buffer.alloc(0))]).toEqual([118, 225, 233, 156, 238, 203, 64, 31, 163, 237, 110, 136, 112, 146, 124, 206]);
  });

  it('reads nothing from p under another key, nor from a short p', () => {
    expect(decryptPicc(k2, b('4E2E289D945A66BB13377A728884E867'))).toBeUndefined();
    expect(decryptPicc(k1, b('4E2E289D945A66BB13377A728884E8'))).toBeUndefined();
  });
});

describe('the card simulator', () => {
  const keys = { k0: '00'.repeat(16), k1: '0c3b25d92b38ae443229dd59ad34b85d', k2: 'b45775776cb224c75bcde7ca3704e933', k3: '00'.repeat(16), k4: '00'.repeat(16) };

  it('reproduces the spec vector for its UID and counter (p up to its random padding)', () => {
    const card = new SimulatedCard({ keys, uid: b('04996c6a926980') });
    const { p, c } = card.sun(3);
    expect(c).toBe('E19CCB1FED8892CE');
    expect(decryptPicc(b(keys.k1), b(p))).toEqual({ uid: b('04996c6a926980'), counter: 3 });
  });

  it('taps with a counter one higher each time, under the lnurlw base it was given', () => {
    const card = new SimulatedCard({ keys, lnurlwBase: 'lnurlw://cards.example/cards/abc' });
    const urls = [card.tap(), card.tap()];
    const counters = urls.map((u) => decryptPicc(b(keys.k1), b(new URL(u).searchParams.get('p')!))!.counter);
    expect(counters).toEqual([1, 2]);
    expect(urls[0]).toMatch(/^lnurlw:\/\/cards\.example\/cards\/abc\?p=[0-9A-F]{32}&c=[0-9A-F]{16}$/);
  });
});
