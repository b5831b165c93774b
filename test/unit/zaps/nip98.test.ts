import { finalizeEvent, generateSecretKey } from 'nostr-tools/pure';
import { getToken } from 'nostr-tools/nip98';
import { describe, expect, it } from 'vitest';
import { HttpAuthError, httpAuthHeader, verifyHttpAuth, type HttpAuthReason } from '../../../core/nostr/nip98.ts';

const key = generateSecretKey();
const url = 'https://flash.test/api/v1/zaps';
const body = JSON.stringify({ amountMsat: '1000', recipients: ['x'] });

function reason(f: () => unknown): HttpAuthReason | 'ok' {
  try {
    f();
    return 'ok';
  } catch (err) {
    if (err instanceof HttpAuthError) return err.code;
    throw err;
  }
}

describe('NIP-98 HTTP auth', () => {
  it('accepts a header signed for this URL, method and body', () => {
    const header = httpAuthHeader(key, { url, method: 'post', body });
    expect(verifyHttpAuth({ header, url, method: 'POST', body }).kind).toBe(27235);
  });

  it('accepts any of several URLs when given them, compared as the caller normalizes them', () => {
    const header = httpAuthHeader(key, { url: 'WSS://Relay.Test/', method: 'post', body });
    const urls = ['ws://127.0.0.1:7777', 'wss://relay.test'];
    const normalizeUrl = (u: string) => u.toLowerCase().replace(/\/$/, '');
    expect(reason(() => verifyHttpAuth({ header, url: urls, normalizeUrl, method: 'POST', body }))).toBe('ok');
    expect(reason(() => verifyHttpAuth({ header, url: urls, method: 'POST', body }))).toBe('wrong_url');
    expect(reason(() => verifyHttpAuth({ header, url: ['wss://other.test'], normalizeUrl, method: 'POST', body }))).toBe('wrong_url');
  });

  it('accepts a GET header made by nostr-tools', async () => {
    const header = await getToken(url, 'get', (e) => finalizeEvent(e, key), true);
    expect(reason(() => verifyHttpAuth({ header, url, method: 'GET' }))).toBe('ok');
  });

  it.each<[string, () => unknown, HttpAuthReason]>([
    ['no header', () => verifyHttpAuth({ header: undefined, url, method: 'GET' }), 'missing'],
    ['another scheme', () => verifyHttpAuth({ header: 'Bearer abc', url, method: 'GET' }), 'malformed'],
    ['base64 of garbage', () => verifyHttpAuth({ header: `Nostr ${Buffer.from('{nope').toString('base64')}`, url, method: 'GET' }), 'malformed'],
    ['wrong kind', () => verifyHttpAuth({ header: `Nostr ${Buffer.from(JSON.stringify(finalizeEvent({ kind: 1, created_at: Math.floor(Date.now() / 1000), tags: [['u', url], ['method', 'GET']], content: '' }, key))).toString('base64')}`, url, method: 'GET' }), 'wrong_kind'],
    ['tampered event', () => {
      const ev = JSON.parse(Buffer.from(httpAuthHeader(key, { url, method: 'GET' }).slice(6), 'base64').toString());
      ev.tags[0][1] = `${url}?x=1`;
      return verifyHttpAuth({ header: `Nostr ${Buffer.from(JSON.stringify(ev)).toString('base64')}`, url: `${url}?x=1`, method: 'GET' });
    }, 'bad_signature'],
    ['stale', () => verifyHttpAuth({ header: httpAuthHeader(key, { url, method: 'GET', createdAt: Math.floor(Date.now() / 1000) - 120 }), url, method: 'GET' }), 'stale'],
    ['from the future', () => verifyHttpAuth({ header: httpAuthHeader(key, { url, method: 'GET', createdAt: Math.floor(Date.now() / 1000) + 120 }), url, method: 'GET' }), 'stale'],
    ['wrong url', () => verifyHttpAuth({ header: httpAuthHeader(key, { url: 'https://evil.test/api/v1/zaps', method: 'GET' }), url, method: 'GET' }), 'wrong_url'],
    ['query string differs', () => verifyHttpAuth({ header: httpAuthHeader(key, { url, method: 'GET' }), url: `${url}?page=2`, method: 'GET' }), 'wrong_url'],
    ['wrong method', () => verifyHttpAuth({ header: httpAuthHeader(key, { url, method: 'GET' }), url, method: 'POST' }), 'wrong_method'],
    ['body without payload tag', () => verifyHttpAuth({ header: httpAuthHeader(key, { url, method: 'POST' }), url, method: 'POST', body }), 'wrong_payload'],
    ['payload of another body', () => verifyHttpAuth({ header: httpAuthHeader(key, { url, method: 'POST', body: `${body} ` }), url, method: 'POST', body }), 'wrong_payload'],
  ])('refuses %s', (_name, f, expected) => {
    expect(reason(f)).toBe(expected);
  });
});
