// docker-compose.yml read as Compose reads it: no secret has a default (each is a required
// `${VAR:?…}`), no wildcard RPC, every backend authenticated, LND's admin macaroon stays in lnd.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

interface Service { environment?: Record<string, string>; command?: string[] | string; volumes?: string[]; ports?: string[] }
const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as { services: Record<string, Service> };
const services = Object.entries(compose.services);
const REQUIRED = /^\$\{[A-Z_]+:\?[^}]+\}$/;

/** Every secret-looking value: passwords in variables, URLs and flags, and the master key. */
function secrets(): Array<{ where: string; value: string }> {
  const found: Array<{ where: string; value: string }> = [];
  for (const [name, s] of services) {
    for (const [key, value] of Object.entries(s.environment ?? {})) {
      const v = String(value);
      if (/PASSWORD|MASTER_KEY/.test(key)) found.push({ where: `${name}.${key}`, value: v });
      for (const m of v.matchAll(/:\/\/[^:/@]*:([^@]+)@/g)) found.push({ where: `${name}.${key} (URL)`, value: m[1]! });
      for (const m of v.matchAll(/Password=([^;]+)/g)) found.push({ where: `${name}.${key} (connection string)`, value: m[1]! });
    }
    for (const arg of [s.command ?? []].flat()) {
      const m = /^-{1,2}[a-z.]*(?:password|pass)=(.*)$/.exec(arg);
      if (m) found.push({ where: `${name} ${arg.split('=')[0]}`, value: m[1]! });
    }
  }
  return found;
}

describe('docker-compose.yml', () => {
  it('takes every password and the master key from the environment, failing when one is missing', () => {
    const all = secrets();
    expect(all.length).toBeGreaterThan(10);
    for (const { where, value } of all) expect(value, where).toMatch(REQUIRED);
  });

  it('allows bitcoind RPC from its own network only', () => {
    const args = [compose.services.bitcoind!.command ?? []].flat();
    const allow = args.filter((a) => a.startsWith('-rpcallowip='));
    expect(allow.length).toBeGreaterThan(0);
    for (const a of allow) expect(a).not.toMatch(/=0\.0\.0\.0\/0|=::\/0|=\*/);
  });

  it('runs NBXplorer with authentication and Redis with a password', () => {
    expect(compose.services.nbxplorer!.environment).not.toHaveProperty('NBXPLORER_NOAUTH');
    expect(compose.services.btcpay!.environment!.BTCPAY_BTCEXPLORERCOOKIEFILE).toBeTruthy();
    expect(String(compose.services.redis!.command)).toContain('--requirepass');
  });

  it('hands out baked macaroons only: no client mounts the lnd volume or names admin.macaroon', () => {
    for (const [name, s] of services.filter(([n]) => n !== 'lnd' && n !== 'lnd-macaroons')) {
      expect(JSON.stringify(s), name).not.toContain('admin.macaroon');
      for (const v of s.volumes ?? []) expect(v.split(':')[0], name).not.toBe('lnd');
    }
    expect(compose.services.workers!.environment!.LND_MACAROON).toBe('/lnd-creds/flash.macaroon');
  });

  it('publishes only the relay and the API', () => {
    const published = services.filter(([, s]) => s.ports?.length).map(([n]) => n).sort();
    expect(published).toEqual(['api', 'relay']);
  });
});
