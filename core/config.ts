// The one place where the environment becomes typed configuration.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => ['true', '1', 'yes'].includes(v));
const port = z.coerce.number().int().min(0).max(65535);
const hex32 = z.string().regex(/^[0-9a-f]{64}$/i, 'must be 64 hex characters (32 bytes)');
const list = z.string().transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean));

/** Every variable the service reads: name → schema with default and a description. */
export const variables = {
  NETWORK: z.enum(['regtest', 'signet', 'testnet', 'mainnet']).default('regtest')
    .describe('Bitcoin network. The embedded fake backends only run on regtest.'),
  // Wallet: Lightning backend, payment limits and timings.
  LIGHTNING_BACKEND: z.enum(['fake', 'lnd']).default('fake')
    .describe('Lightning backend: `fake` (embedded node, regtest only) or `lnd`.'),
  LIGHTNING_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(50)
    .describe('Jobs each workers process runs at once on the lightning queue.'),
  LIGHTNING_FAKE_PAY_DELAY_MS: z.coerce.number().int().min(0).default(0)
    .describe('Fake backend: how long an outgoing payment stays in flight before it settles (fault injection for tests).'),
  PAYMENT_MAX_MSAT: z.coerce.bigint().min(1n).default(1_000_000_000n)
    .describe('Largest single payment, invoice or transfer, in millisatoshi.'),
  PAYMENT_FEE_RESERVE_PPM: z.coerce.number().int().min(0).max(1_000_000).default(10_000)
    .describe('Routing fee reserved with an outgoing payment when the caller sets no maximum, in parts per million of the amount.'),
  PAYMENT_FEE_RESERVE_MIN_MSAT: z.coerce.bigint().min(0n).default(10_000n)
    .describe('Smallest routing fee reserve, in millisatoshi.'),
  PAYMENT_TIMEOUT_SECONDS: z.coerce.number().int().min(1).default(60)
    .describe('How long the backend tries an outgoing payment before reporting it pending.'),
  INVOICE_EXPIRY_SECONDS: z.coerce.number().int().min(60).default(3600)
    .describe('Default expiry of invoices we issue.'),
  RECONCILE_INTERVAL_SECONDS: z.coerce.number().int().min(1).default(30)
    .describe('How often the workers ask the backend about payments still pending.'),
  DATABASE_URL: z.url().default('postgres://postgres@127.0.0.1:5432/flash')
    .describe('PostgreSQL connection URL; the database is created if missing.'),
  DATABASE_POOL: z.coerce.number().int().min(1).max(200).default(10)
    .describe('PostgreSQL connections per process.'),
  REDIS_URL: z.url().default('redis://127.0.0.1:6379').describe('Redis connection URL.'),
  REDIS_PREFIX: z.string().default('flash').describe('Prefix of every Redis key and queue.'),
  DATA_DIR: z.string().default('.flash').describe('Directory for local state (the generated regtest master key).'),
  MASTER_KEY: hex32.optional()
    .describe('Key that encrypts secrets at rest (hex, 32 bytes). Required unless NETWORK=regtest, where one is generated into DATA_DIR/master.key.'),
  MASTER_KEYS_RETIRED: list.default([])
    .describe('Comma-separated earlier master keys, still accepted for decryption until `flash secrets rotate` re-encrypts.'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('pino log level.'),
  LOG_PRETTY: bool.optional().describe('Human-readable logs; default: when stdout is a terminal.'),
  API_HOST: z.string().default('127.0.0.1').describe('HTTP API listen address.'),
  API_PORT: port.default(8080).describe('HTTP API listen port.'),
  PUBLIC_URL: z.url().optional().describe('Public base URL of the HTTP API (default http://API_HOST:API_PORT).'),
  RELAY_HOST: z.string().default('127.0.0.1').describe('Relay listen address.'),
  RELAY_PORT: port.default(7777).describe('Relay listen port.'),
  RELAY_URL: z.string().regex(/^wss?:\/\//, 'must be a ws:// or wss:// URL').optional()
    .describe('Public WebSocket URL of the relay (default ws://RELAY_HOST:RELAY_PORT).'),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000)
    .describe('How long a graceful shutdown waits for in-flight work before closing.'),
} as const;

/** Variables whose values are never printed. */
export const secretVariables = new Set<keyof typeof variables>(['MASTER_KEY', 'MASTER_KEYS_RETIRED']);

const schema = z.object(variables);
type Raw = z.infer<typeof schema>;

export type Config = Raw & {
  publicUrl: string;
  relayUrl: string;
};

export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly issues: string[];
  constructor(issues: string[]) {
    super(`invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.issues = issues;
  }
}

/** Reads `.env` (if present) into process.env without overriding what is already set. */
export function loadDotEnv(dir = process.cwd()): void {
  const file = path.join(dir, '.env');
  if (existsSync(file)) process.loadEnvFile(file);
}

export function parseConfig(env: Record<string, string | undefined>): Config {
  const present = Object.fromEntries(Object.keys(variables).map((k) => [k, env[k] === '' ? undefined : env[k]]));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => {
      const name = String(i.path[0]);
      const shown = secretVariables.has(name as keyof typeof variables) ? '(hidden)' : JSON.stringify(present[name]);
      return `${name}: ${i.message} (got ${shown})`;
    }));
  }
  const c = parsed.data;
  if (c.NETWORK !== 'regtest' && !c.MASTER_KEY) {
    throw new ConfigError([`MASTER_KEY: required when NETWORK=${c.NETWORK} (generate one with \`openssl rand -hex 32\`)`]);
  }
  return {
    ...c,
    publicUrl: (c.PUBLIC_URL ?? `http://${c.API_HOST}:${c.API_PORT}`).replace(/\/$/, ''),
    relayUrl: c.RELAY_URL ?? `ws://${c.RELAY_HOST}:${c.RELAY_PORT}`,
  };
}

export function loadConfig(): Config {
  loadDotEnv();
  return parseConfig(process.env);
}

function maskUrlPassword(value: string): string {
  if (!/^[a-z]+:\/\//.test(value)) return value;
  try {
    const u = new URL(value);
    if (!u.password) return value;
    u.password = '********';
    return u.toString();
  } catch {
    return value;
  }
}

/** The effective configuration with secrets masked, for `flash config`. */
export function describeConfig(config: Config): Array<{ name: string; value: string; description: string }> {
  return Object.entries(variables).map(([name, s]) => {
    const value = config[name as keyof Raw];
    const shown = value === undefined || (Array.isArray(value) && value.length === 0) ? '(unset)'
      : secretVariables.has(name as keyof typeof variables) ? '********'
        : Array.isArray(value) ? value.join(',') : maskUrlPassword(String(value));
    return { name, value: shown, description: s.description ?? '' };
  });
}
