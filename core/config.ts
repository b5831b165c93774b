// The one place where the environment becomes typed configuration.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import proxyaddr from '@fastify/proxy-addr';
import { z } from 'zod';
import { CodedError } from './errors.ts';
import ipaddr from 'ipaddr.js';
import { isDatabaseUrl } from './db-url.ts';
import { levelsVariable } from './risk/limits.ts';
import { rulesVariable } from './risk/rule-set.ts';

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => ['true', '1', 'yes'].includes(v));
const port = z.coerce.number().int().min(0).max(65535);
const hex32 = z.string().regex(/^[0-9a-f]{64}$/i, 'must be 64 hex characters (32 bytes)');
const list = z.string().transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean));
const relayList = list.pipe(z.array(z.string().regex(/^wss?:\/\//, 'each relay must be a ws:// or wss:// URL')));
const secretKey = z.string().regex(/^(nsec1[02-9ac-hj-np-z]{58}|[0-9a-fA-F]{64})$/, 'must be an nsec or 64 hex characters');

/** Every variable the service reads: name → schema with default and a description. */
export const variables = {
  NETWORK: z.enum(['regtest', 'signet', 'testnet', 'mainnet']).default('regtest')
    .describe('Bitcoin network. The embedded fake backends only run on regtest.'),
  LIGHTNING_BACKEND: z.enum(['fake', 'lnd']).default('fake')
    .describe('Lightning node: `fake` (embedded, regtest only) or `lnd` (LND over gRPC, see LND_*).'),
  LND_SOCKET: z.string().regex(/^(\[[0-9a-f:.]+\]|[^\s:[\]]+):\d{1,5}$/i, 'must be host:port').default('127.0.0.1:10009')
    .describe('LND gRPC address, host:port.'),
  LND_CERT: z.string().optional()
    .describe("LND's TLS certificate (tls.cert): a file path, or the file's contents as base64 or hex. Required with LIGHTNING_BACKEND=lnd unless LND's certificate is publicly trusted."),
  LND_MACAROON: z.string().optional()
    .describe('LND macaroon with invoice and off-chain permissions (e.g. admin.macaroon): a file path, or hex/base64. Required with LIGHTNING_BACKEND=lnd.'),
  // Wallet: payment limits and timings.
  LIGHTNING_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(50)
    .describe('Jobs each workers process runs at once on the lightning queue.'),
  LIGHTNING_INVOICE_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(10)
    .describe('Invoices each workers process issues at once (the lightning-invoices queue, apart from payments).'),
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
  EVENT_REPLAY_SECONDS: z.coerce.number().int().min(0).default(600)
    .describe('When Redis lost its data, events published this long before are published again (their consumers may not have read them).'),
  DATABASE_URL: z.string().refine(isDatabaseUrl, 'must be a postgres:// URL').default('postgres://postgres@127.0.0.1:5432/flash')
    .describe('PostgreSQL connection URL; the database is created if missing. Several hosts (`postgres://u@h1:5432,h2:5432/flash?target_session_attrs=read-write`): the pool uses whichever is the primary, also after a failover.'),
  DATABASE_MIGRATION_URL: z.string().refine(isDatabaseUrl, 'must be a postgres:// URL').optional()
    .describe('PostgreSQL URL of the schema owner role that creates the database and runs migrations; DATABASE_URL\'s role then gets only row access (see docs/operations.md, Security). Default: DATABASE_URL.'),
  DATABASE_READ_URL: z.string().refine(isDatabaseUrl, 'must be a postgres:// URL').optional()
    .describe('Where history reads go (DM `history`, NWC `list_transactions`), e.g. a standby: they may lag a little. Balances and payments always read DATABASE_URL.'),
  DATABASE_POOL: z.coerce.number().int().min(1).max(200).default(10)
    .describe('PostgreSQL connections per process.'),
  REDIS_URL: z.url().default('redis://127.0.0.1:6379').describe('Redis connection URL.'),
  REDIS_PREFIX: z.string().default('flash').describe('Prefix of every Redis key and queue.'),
  DATA_DIR: z.string().optional().describe('Directory for local state (the generated regtest master key). Default: $XDG_DATA_HOME/flash, else ~/.local/share/flash — per user, like the database.'),
  MASTER_KEY: hex32.optional()
    .describe('Key that encrypts secrets at rest (hex, 32 bytes). Required unless NETWORK=regtest, where one is generated into DATA_DIR/master.key.'),
  MASTER_KEYS_RETIRED: list.default([])
    .describe('Comma-separated earlier master keys, still accepted for decryption until `flash secrets rotate` re-encrypts.'),
  // --- key custody ---
  MASTER_KEY_PROVIDER: z.enum(['env', 'file', 'pkcs11', 'command']).default('env')
    .describe('Where the master key comes from: `env` (MASTER_KEY), `file` (MASTER_KEY_FILE), `pkcs11` (MASTER_KEY_WRAPPED_FILE unwrapped by a key in an HSM), `command` (MASTER_KEY_COMMAND prints it). See docs/operations.md, Key custody.'),
  MASTER_KEY_FILE: z.string().optional()
    .describe('With MASTER_KEY_PROVIDER=file: a file of master keys in hex, one per line, the current one first, then retired ones.'),
  MASTER_KEY_COMMAND: z.string().optional()
    .describe('With MASTER_KEY_PROVIDER=command: a shell command (e.g. a KMS CLI) that prints the master keys in hex, one per line, current first. Its output is never logged.'),
  MASTER_KEY_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(15_000)
    .describe('How long MASTER_KEY_COMMAND may take.'),
  MASTER_KEY_WRAPPED_FILE: z.string().optional()
    .describe('With MASTER_KEY_PROVIDER=pkcs11: the master keys wrapped by the HSM (written by `flash keys wrap`). Default: DATA_DIR/master.key.wrapped.'),
  PKCS11_MODULE: z.string().optional().describe("The HSM vendor's PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so."),
  PKCS11_TOKEN: z.string().default('flash').describe('Label of the HSM token holding the wrapping key.'),
  PKCS11_PIN: z.string().optional().describe('User PIN of PKCS11_TOKEN.'),
  PKCS11_KEY_LABEL: z.string().default('flash-master-wrap').describe('Label of the wrapping key on the token.'),
  BOT_DM_SIGNER: z.string().regex(/^bunker:\/\//, 'must be a bunker:// URL').optional()
    .describe('A NIP-46 signer holding the DM bot\'s key instead of the database: bunker://<signer pubkey>?relay=wss://…&secret=… . Every DM opened or answered is then a few round trips to it (docs/operations.md, Key custody).'),
  BOT_DM_SIGNER_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000)
    .describe('How long a call to BOT_DM_SIGNER may go unanswered before it is asked again (three tries).'),
  // --- end key custody ---
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('pino log level.'),
  LOG_PRETTY: bool.optional().describe('Human-readable logs; default: when stdout is a terminal.'),
  API_HOST: z.string().default('127.0.0.1').describe('HTTP API listen address.'),
  API_PORT: port.default(8080).describe('HTTP API listen port; 0 takes any free one (printed when ready).'),
  METRICS_HOST: z.string().default('127.0.0.1').describe('Listen address of the operations port (GET /metrics, /healthz, /readyz); keep it private.'),
  METRICS_PORT: port.default(9464).describe('Operations port of the api role: Prometheus metrics and health, apart from the public API.'),
  METRICS_TOKEN: z.string().min(16, 'use at least 16 characters').optional()
    .describe('If set, GET /metrics is also served on the API port to `Authorization: Bearer <token>` (for scrapers that only reach that port).'),
  PUBLIC_URL: z.url().optional().describe('Public base URL of the HTTP API (default http://API_HOST:API_PORT).'),
  API_RATE_LIMIT: z.coerce.number().int().min(1).default(600)
    .describe('Requests one client IP may make to the HTTP API feature routes per API_RATE_LIMIT_WINDOW_SECONDS (counted in Redis, across instances).'),
  API_RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).default(60).describe('Window of API_RATE_LIMIT, in seconds.'),
  API_TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0)
    .describe('Reverse proxies in front of the HTTP API: the client IP is the X-Forwarded-For entry this many hops from the right (0: the socket peer).'),
  RETENTION_DAYS: z.coerce.number().int().min(1).default(30)
    .describe('Days kept of wallet-connect requests without a payment, DM ids seen, DM notices sent, card taps without a payment and BTCPay deliveries acted on (pruned hourly by the workers).'),
  RELAY_HOST: z.string().default('127.0.0.1').describe('Relay listen address.'),
  RELAY_PORT: port.default(7777).describe('Relay listen port; 0 takes any free one (printed when ready).'),
  RELAY_URL: z.string().regex(/^wss?:\/\//, 'must be a ws:// or wss:// URL').optional()
    .describe('Public WebSocket URL of the relay (default ws://RELAY_HOST:RELAY_PORT).'),
  RELAY_PUBLIC_URLS: list.pipe(z.array(z.string().regex(/^wss?:\/\/[^\s]+$/, 'must be ws:// or wss:// URLs'))).optional()
    .describe('Comma-separated URLs (scheme included) that NIP-42 AUTH, NIP-62 vanish and NIP-86 (NIP-98) events must name (default RELAY_URL, else ws://RELAY_HOST:RELAY_PORT and, on loopback, ws://localhost:RELAY_PORT).'),
  // --- relay (relay/) ---
  RELAY_NAME: z.string().default('Flash relay').describe('Relay name in the NIP-11 document (NIP-86 can override it).'),
  RELAY_DESCRIPTION: z.string().default('Nostr relay of a Flash payments service.').describe('Relay description in the NIP-11 document.'),
  RELAY_ICON: z.url().optional().describe('Relay icon URL in the NIP-11 document.'),
  RELAY_PUBKEY: hex32.optional().describe('Operator pubkey (hex) in the NIP-11 document.'),
  RELAY_CONTACT: z.string().optional().describe('Operator contact URI in the NIP-11 document.'),
  RELAY_ADMIN_PUBKEYS: list.pipe(z.array(hex32)).default([]).describe('Comma-separated hex pubkeys allowed to call the NIP-86 management API.'),
  RELAY_MAX_MESSAGE_BYTES: z.coerce.number().int().min(1024).default(131_072).describe('Largest client message the relay reads (bytes); larger ones get a NOTICE.'),
  RELAY_MAX_SUBSCRIPTIONS: z.coerce.number().int().min(1).default(20).describe('Open subscriptions (REQ and NEG-OPEN) per connection.'),
  RELAY_MAX_FILTERS: z.coerce.number().int().min(1).default(10).describe('Filters per REQ or COUNT.'),
  RELAY_MAX_FILTER_VALUES: z.coerce.number().int().min(1).default(1000).describe('Values per filter field (ids, authors, kinds, each #tag).'),
  RELAY_MAX_LIMIT: z.coerce.number().int().min(1).default(500).describe('Cap on a filter\'s limit; also the limit of filters that give none, and the most events kept per ephemeral window key.'),
  RELAY_MAX_QUERY_COST: z.coerce.number().int().min(1).default(5000)
    .describe('Index lookups one REQ, COUNT or NEG-OPEN may cause, summed over its filters (authors × kinds, ids, the driving tag\'s values, ephemeral kinds × authors); costlier ones are refused with blocked:.'),
  RELAY_MAX_SUBID_LENGTH: z.coerce.number().int().min(1).default(64).describe('Longest subscription id.'),
  RELAY_MAX_TAGS: z.coerce.number().int().min(1).default(2000).describe('Most tags an event may carry.'),
  RELAY_MAX_CONTENT_LENGTH: z.coerce.number().int().min(1).default(102_400).describe('Longest event content (characters).'),
  RELAY_CREATED_AT_PAST: z.coerce.number().int().min(0).default(0).describe('Refuse events older than this many seconds (0: no limit).'),
  RELAY_CREATED_AT_FUTURE: z.coerce.number().int().min(0).default(900).describe('Refuse events dated more than this many seconds ahead.'),
  RELAY_MIN_POW: z.coerce.number().int().min(0).max(256).default(0).describe('NIP-13 minimum proof-of-work difficulty (leading zero bits of the id).'),
  RELAY_AUTH_WRITE: bool.default(false).describe('Require NIP-42 AUTH before accepting events (default: open relay).'),
  RELAY_RATE_IP_EVENTS: z.coerce.number().min(0).default(100).describe('Events per second per IP, all relay processes together; 0: unlimited.'),
  RELAY_RATE_PUBKEY_EVENTS: z.coerce.number().min(0).default(50).describe('Events per second per author pubkey, all relay processes together; 0: unlimited.'),
  RELAY_RATE_IP_REQS: z.coerce.number().min(0).default(50).describe('REQ/COUNT/NEG-OPEN messages per second per IP, all relay processes together; 0: unlimited.'),
  RELAY_RATE_IP_AUTH: z.coerce.number().min(0).default(5).describe('AUTH messages per second per IP; 0: unlimited.'),
  RELAY_RATE_IP_CONNECTIONS: z.coerce.number().min(0).default(10).describe('New WebSocket connections per second per IP, all relay processes together; 0: unlimited.'),
  RELAY_MAX_CONNECTIONS_PER_IP: z.coerce.number().int().min(0).default(100).describe('Open WebSocket connections per IP, across every relay process (counted in Redis); 0: unlimited.'),
  RELAY_RATE_EXEMPT_IPS: list.default([]).describe('Comma-separated IPs exempt from rate limits and connection caps (none by default: behind a proxy on the same host every client would be loopback).'),
  RELAY_RATE_EXEMPT_PUBKEYS: list.pipe(z.array(hex32)).default([]).describe('Comma-separated hex pubkeys exempt from rate limits (events they sign; connections that AUTH as them), besides the service\'s own bots.'),
  RELAY_TRUST_PROXY: z.string().default('false').transform((v, ctx) => {
    if (['false', '0', 'no'].includes(v)) return false as const;
    if (['true', '1', 'yes'].includes(v)) return true as const;
    const hops = v.split(',').map((s) => s.trim()).filter(Boolean);
    try {
      proxyaddr.compile(hops);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
    }
    return hops;
  }).describe('Proxies whose X-Forwarded-For is believed: `true` (the direct peer only), or comma-separated addresses, CIDRs or `loopback`/`linklocal`/`uniquelocal`. The client is the rightmost address not trusted.'),
  RELAY_PUBKEY_ALLOW: list.pipe(z.array(hex32)).default([]).describe('If set, only these hex pubkeys may publish.'),
  RELAY_PUBKEY_DENY: list.pipe(z.array(hex32)).default([]).describe('Hex pubkeys that may not publish.'),
  RELAY_KIND_ALLOW: list.pipe(z.array(z.string().regex(/^\d{1,5}$/, 'kinds are integers').transform(Number).pipe(z.number().max(65535)))).default([]).describe('If set, only these kinds are accepted.'),
  RELAY_KIND_DENY: list.pipe(z.array(z.string().regex(/^\d{1,5}$/, 'kinds are integers').transform(Number).pipe(z.number().max(65535)))).default([]).describe('Kinds that are refused.'),
  RELAY_WRITE_POLICY: z.string().optional().describe('Path of a module whose default export decides each event (spam filter hook); see docs/operations.md.'),
  RELAY_EPHEMERAL_WINDOW: z.coerce.number().int().min(0).default(60).describe('Seconds ephemeral events stay in Redis for subscribers that reconnect with `since`.'),
  RELAY_EPHEMERAL_WINDOW_MAX_BYTES: z.coerce.number().int().min(0).default(16_384).describe('Largest ephemeral event (bytes of JSON) kept in the window; larger ones only go live.'),
  RELAY_BATCH_MS: z.coerce.number().min(0).default(2).describe('Group-commit window: how long writes wait to share one transaction (ms).'),
  RELAY_BATCH_MAX: z.coerce.number().int().min(1).default(500).describe('Most events in one group commit.'),
  RELAY_SEND_BUFFER: z.coerce.number().int().min(16_384).default(4_194_304).describe('Bytes queued to a slow client before it is dropped with a NOTICE.'),
  RELAY_EXPIRATION_SWEEP: z.coerce.number().int().min(1).default(60).describe('Seconds between purges of expired (NIP-40) events.'),
  RELAY_VERIFY_THREADS: z.coerce.number().int().min(0).max(64).optional()
    .describe('Worker threads that verify signatures (default: one per CPU; 0: on the main thread).'),
  RELAY_NEG_MAX_RECORDS: z.coerce.number().int().min(1).default(500_000).describe('Most events a NIP-77 negentropy sync may cover.'),
  RELAY_NEG_MAX_SESSIONS: z.coerce.number().int().min(0).default(2).describe('Open NIP-77 negentropy sessions per connection (each holds up to RELAY_NEG_MAX_RECORDS ids in memory).'),
  RELAY_NEG_MAX_SESSIONS_TOTAL: z.coerce.number().int().min(0).default(64).describe('Open NIP-77 negentropy sessions per relay process, all connections together.'),
  // --- end relay ---
  // --- zaps, lightning addresses, businesses (bots/zaps, api/lnurl, api/business) ---
  ZAP_NSEC: secretKey.optional()
    .describe('Secret key that signs zap receipts (the `nostrPubkey` of every lightning address). Default: generated on first start and kept sealed in the database.'),
  ZAP_RELAYS: relayList.default([])
    .describe('Comma-separated relays that get every zap receipt besides the ones the zap request names (default: NOSTR_RELAYS, else RELAY_URL).'),
  ZAP_RECEIPT_ATTEMPTS: z.coerce.number().int().min(1).max(30).default(14)
    .describe('Attempts to publish a receipt to one relay, with exponential backoff from 0.5 s (14 ≈ 2.3 hours).'),
  ZAP_RESERVED_USERNAMES: list.default([])
    .describe('Comma-separated usernames refused besides the built-in reserved names and BOT_DM_USERNAME.'),
  LNURL_MIN_SENDABLE_MSAT: z.coerce.bigint().min(1n).default(1000n)
    .describe('Smallest amount a lightning address accepts (msat).'),
  LNURL_MAX_SENDABLE_MSAT: z.coerce.bigint().min(1n).default(1_000_000_000n)
    .describe('Largest amount a lightning address accepts (msat; at most PAYMENT_MAX_MSAT).'),
  LNURL_COMMENT_ALLOWED: z.coerce.number().int().min(0).max(2000).default(255)
    .describe('Longest LUD-12 comment accepted with a payment (0: none).'),
  LNURL_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000)
    .describe('How long a request to another LNURL server may take.'),
  LNURL_DEV_HOSTS: list.default([])
    .describe('Regtest only: `domain=http://host:port` pairs, lightning-address domains served over plain HTTP at that address (local stand-ins).'),
  // --- outbound connections to stranger-chosen addresses (core/outbound.ts) ---
  OUTBOUND_ALLOW: list.pipe(z.array(z.string().refine((v) => ipaddr.isValid(v) || ipaddr.isValidCIDR(v), 'must be an IP address or CIDR range'))).default([])
    .describe('Comma-separated IP addresses or CIDR ranges (e.g. `127.0.0.0/8,::1`) that relays, LNURL and NIP-05 servers named by users may resolve to although not public. Default: public unicast addresses only. For dev and tests.'),
  OUTBOUND_MAX_BYTES: z.coerce.number().int().min(65_536).default(1_048_576)
    .describe('Largest WebSocket message from a relay and largest LNURL/NIP-05 response body we read (bytes).'),
  OUTBOUND_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000)
    .describe('How long a relay WebSocket may take to open, and an LNURL/NIP-05 server to send headers or body.'),
  OUTBOUND_MAX_RELAYS: z.coerce.number().int().min(1).max(100).default(10)
    .describe('Most relays named by a user (a DM inbox list, a zap request, an event pointer) that one message or zap makes us contact.'),
  BUSINESS_BATCH_MAX: z.coerce.number().int().min(1).max(100_000).default(1000)
    .describe('Most recipients in one business zap batch.'),
  BUSINESS_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16)
    .describe('Payments of one business in flight at once (default for new businesses).'),
  BUSINESS_PAY_TIMEOUT_MS: z.coerce.number().int().min(0).default(30_000)
    .describe('How long a batch line waits for an outgoing payment before reporting it pending.'),
  BUSINESS_AUTH_WINDOW_SECONDS: z.coerce.number().int().min(5).max(600).default(60)
    .describe('NIP-98: how far created_at may be from now.'),
  // --- end zaps ---
  // --- wallet connect (bots/nwc/) ---
  NWC_NAME: z.string().min(1).default('Flash Wallet Connect')
    .describe('Name of the wallet-connect service: its profile name and the alias in get_info.'),
  NWC_REQUEST_MAX_AGE_SECONDS: z.coerce.number().int().min(10).default(300)
    .describe('Wallet-connect requests older than this (by created_at) are ignored.'),
  NWC_PAY_WAIT_SECONDS: z.coerce.number().int().min(1).max(600).default(50)
    .describe('How long pay_invoice/pay_keysend wait for the outcome; a payment still in flight is answered when it completes.'),
  NWC_INFO_REPUBLISH_SECONDS: z.coerce.number().int().min(60).default(3600)
    .describe('How often each connection\'s info event (kind 13194) is published again.'),
  NWC_RATE_PER_MINUTE: z.coerce.number().int().min(0).default(600)
    .describe('Requests per minute per connection before RATE_LIMITED (bursts up to that many); 0: unlimited.'),
  // --- end wallet connect ---
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000)
    .describe('How long a graceful shutdown waits for in-flight work before closing.'),
  // Nostr toolkit and bots
  NOSTR_RELAYS: relayList.default([])
    .describe('Comma-separated relays the bots read from and publish to, our own first (default: RELAY_URL).'),
  BOT_LEADER_TTL_MS: z.coerce.number().int().min(1000).default(3000)
    .describe('Lease of the one active instance per bot key, renewed every third of it; a standby takes over when a dead leader\'s lease runs out.'),
  BOT_DM_NSEC: secretKey.optional()
    .describe('Secret key of the DM bot (nsec or hex). Default: generated on first start and kept sealed in the database.'),
  BOT_DM_NAME: z.string().min(1).default('Flash').describe('Display name of the DM bot (its kind-0 profile).'),
  BOT_DM_ABOUT: z.string().default('A Bitcoin wallet in your DMs. Send "help" to start.').describe('Profile text of the DM bot.'),
  BOT_DM_PICTURE: z.url().optional().describe('Profile picture URL of the DM bot.'),
  BOT_DM_USERNAME: z.string().regex(/^[a-z0-9._-]+$/, 'lowercase letters, digits, dot, dash, underscore').default('flash')
    .describe('Name of the DM bot in its NIP-05 and lightning address (`name@` the PUBLIC_URL host), announced only when PUBLIC_URL is set.'),
  // --- risk controls (core/risk/, docs/risk.md) ---
  RISK_LEVELS: levelsVariable
    .describe('Account levels as JSON: per level the rolling 24 h limits per "<rail>:outgoing" (or "*:outgoing"), maxPaymentMsat, maxBalanceMsat (msat; see docs/risk.md).'),
  RISK_DEFAULT_LEVEL: z.coerce.number().int().min(0).max(9).default(0).describe('Level of an account without one of its own (0 = new, unverified).'),
  RISK_WATCH_INTERVAL_SECONDS: z.coerce.number().int().min(0).default(60).describe('How often the workers compare liabilities with assets (solvency watchdog); 0: never.'),
  RISK_MAX_DEFICIT_MSAT: z.coerce.bigint().min(0n).default(0n).describe('Shortfall of assets below liabilities past which the watchdog pauses outgoing payments on every rail.'),
  OPERATOR_NPUBS: list.pipe(z.array(z.string().regex(/^(npub1[02-9ac-hj-np-z]{58}|[0-9a-fA-F]{64})$/, 'each must be an npub or 64 hex characters'))).default([])
    .describe('Operators: they get alerts as NIP-17 DMs from the DM bot and may answer approve/reject/freeze.'),
  RISK_RULES: rulesVariable
    .describe('Anomaly rules as a JSON array: {"name", "kind": velocity|destinations|failures|drain|outsized, thresholds, "action": alert|freeze} (docs/risk.md); [] turns them off.'),
  RISK_ALERTS_PER_HOUR: z.coerce.number().int().min(1).default(30).describe('Most alert DMs sent per hour (de-duplicated before counting).'),
  // --- end risk controls ---
  // --- DM bot (bots/dm/) ---
  DM_DEFAULT_LANG: z.enum(['en', 'es', 'ja']).default('en')
    .describe('Language of the DM bot\'s replies until a user picks one with `lang`.'),
  DM_CONFIRM_ABOVE_MSAT: z.coerce.bigint().min(0n).default(10_000_000n)
    .describe('Payments (`pay`, `send`, `zap`) above this many millisatoshi wait for a "yes" reply; 0: every payment.'),
  DM_CONFIRM_SECONDS: z.coerce.number().int().min(10).max(3600).default(120)
    .describe('How long a payment waits for its "yes" before it is dropped.'),
  DM_PAY_WAIT_MS: z.coerce.number().int().min(0).max(120_000).default(15_000)
    .describe('How long the DM bot waits for a payment\'s outcome before replying that it is in flight (a second DM follows with the outcome).'),
  DM_RATE_BURST: z.coerce.number().int().min(1).default(10)
    .describe('DMs a sender may send in a burst before the bot asks them to slow down.'),
  DM_RATE_PER_MINUTE: z.coerce.number().min(0.1).default(30)
    .describe('DMs per minute a sender may send on average.'),
  DM_MAX_AGE_SECONDS: z.coerce.number().int().min(60).default(3600)
    .describe('DMs written longer ago than this (e.g. while the bot was down) are dropped unanswered, so an old `pay` never runs late.'),
  DM_LOOKUP_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(3000)
    .describe('How long the DM bot waits for its relays to answer a lookup (a user\'s DM relays, kind 10050).'),
  // --- end DM bot ---
  // --- cards (core/cards, api/cards) ---
  CARD_TAP_LIMIT_MSAT: z.coerce.bigint().min(1n).default(50_000_000n)
    .describe('Per-tap limit of a new card (msat); its holder can change it by DM or CLI.'),
  CARD_DAY_LIMIT_MSAT: z.coerce.bigint().min(1n).default(200_000_000n)
    .describe('Per-day limit (UTC calendar day) of a new card (msat); its holder can change it by DM or CLI.'),
  CARD_K1_SECONDS: z.coerce.number().int().min(10).max(3600).default(120)
    .describe('How long the single-use k1 of a card tap (LNURL-withdraw) stays good.'),
  CARD_PROGRAM_SECONDS: z.coerce.number().int().min(60).default(86_400)
    .describe('How long a card\'s one-time programming link stays good.'),
  CARD_PAY_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(10_000)
    .describe('How long a card\'s LNURL-withdraw callback waits for the payment\'s outcome before answering OK with it in flight.'),
  // --- end cards ---
  // --- Cashu mint (core/mint/, api/mint/) ---
  MINT_NAME: z.string().min(1).default('Flash mint').describe('Name of the Cashu mint (NUT-06 info).'),
  MINT_INPUT_FEE_PPK: z.coerce.number().int().min(0).max(100_000).default(0)
    .describe('Fee per input of a new keyset, in parts per thousand of a sat (NUT-02); existing keysets keep theirs until `flash mint rotate`.'),
  MINT_MIN_SAT: z.coerce.bigint().min(1n).default(1n).describe('Smallest mint or melt quote, in sats.'),
  MINT_MAX_SAT: z.coerce.bigint().min(1n).default(1_000_000n).describe('Largest mint or melt quote, in sats.'),
  MINT_MAX_INPUTS: z.coerce.number().int().min(1).max(10_000).default(1000).describe('Most inputs a swap or melt may spend (error 11014).'),
  MINT_MAX_OUTPUTS: z.coerce.number().int().min(1).max(10_000).default(1000).describe('Most outputs a swap, mint or melt may ask to sign (error 11015).'),
  MINT_QUOTE_EXPIRY_SECONDS: z.coerce.number().int().min(60).default(3600).describe('Expiry of mint quotes (their invoices).'),
  MINT_MELT_WAIT_MS: z.coerce.number().int().min(0).max(600_000).default(30_000)
    .describe('How long a melt waits for its Lightning payment before answering PENDING (the wallet then polls the quote).'),
  MINT_FOREIGN_ALLOW: list.optional()
    .describe('Other mints whose tokens the DM bot takes (melted into a balance), as URLs; unset: any mint not denied.'),
  MINT_FOREIGN_DENY: list.optional().describe('Other mints whose tokens the DM bot refuses, as URLs.'),
  MINT_FOREIGN_MAX_SAT: z.coerce.bigint().min(0n).default(100_000n)
    .describe('Largest token of another mint the DM bot takes, in sats; 0: none.'),
  // --- end Cashu mint ---
  // --- BTCPay Server stores (core/btcpay, workers/btcpay) ---
  BTCPAY_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16)
    .describe('btcpay jobs (webhook deliveries, payout runs) one workers process runs at once; each mostly waits on the store.'),
  BTCPAY_PAYOUT_INTERVAL_SECONDS: z.coerce.number().int().min(1).default(60)
    .describe('How often the workers look for approved Lightning payouts of each linked BTCPay store (and at once on a PayoutApproved webhook).'),
  BTCPAY_PAY_WAIT_SECONDS: z.coerce.number().int().min(1).max(600).default(30)
    .describe('How long a reward or payout waits for its payment\'s outcome; one still in flight is finished by a later run.'),
  BTCPAY_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000)
    .describe('Timeout of each call to a store\'s Greenfield API.'),
  BTCPAY_WEBHOOK_RATE_LIMIT: z.coerce.number().int().min(1).default(6000)
    .describe('Webhook deliveries one client IP (a BTCPay server, all its stores together) may post per API_RATE_LIMIT_WINDOW_SECONDS; other routes keep API_RATE_LIMIT.'),
  // --- end BTCPay ---
  // --- on-chain (core/onchain/, workers/onchain/; docs/onchain.md) ---
  ONCHAIN_BACKEND: z.enum(['embedded', 'bitcoind']).default('embedded')
    .describe('embedded: an in-process regtest node (regtest only) in the workers process, serving Bitcoin Core\'s RPC on loopback (its URL and cookie in DATA_DIR/regtest); bitcoind: Bitcoin Core (descriptor wallets).'),
  BITCOIND_RPC_URL: z.url().default('http://127.0.0.1:18443').describe('Bitcoin Core JSON-RPC URL (ONCHAIN_BACKEND=bitcoind).'),
  BITCOIND_RPC_USER: z.string().optional().describe('RPC user (rpcauth); else the cookie file is read.'),
  BITCOIND_RPC_PASSWORD: z.string().optional().describe('RPC password of BITCOIND_RPC_USER.'),
  BITCOIND_RPC_COOKIE: z.string().optional().describe('Path of bitcoind\'s .cookie file, used when BITCOIND_RPC_USER is unset (the embedded node\'s: DATA_DIR/regtest/.cookie).'),
  BITCOIND_WALLET: z.string().default('flash').describe('The hot wallet (a descriptor wallet with keys; created if missing).'),
  BITCOIND_COLD_WALLET: z.string().default('flash-cold').describe('The watch-only multisig cold wallet (imported by `flash cold import`).'),
  ONCHAIN_CONFIRMATIONS: z.coerce.number().int().min(1).max(100).optional()
    .describe('Confirmations before a deposit is spendable (default: 1 on regtest, 3 elsewhere).'),
  ONCHAIN_ADDRESS_TYPE: z.enum(['p2wpkh', 'p2tr']).default('p2wpkh').describe('Type of new deposit addresses.'),
  ONCHAIN_ADDRESS_GAP: z.coerce.number().int().min(20).max(100_000).default(1000)
    .describe('How far ahead of the last issued address the node\'s wallet watches (its descriptor range).'),
  ONCHAIN_MIN_WITHDRAW_SAT: z.coerce.bigint().min(1n).default(1000n).describe('Smallest withdrawal (sat); dust limits apply too.'),
  ONCHAIN_DUST_SAT: z.coerce.bigint().min(0n).default(546n).describe('Deposits below this (sat) cost more to spend than they bring: recorded as dust for review, not credited.'),
  ONCHAIN_FEE_RESERVE_MIN_SAT: z.coerce.bigint().min(0n).default(500n).describe('Least fee reserved per withdrawal (sat).'),
  ONCHAIN_SCAN_INTERVAL_MS: z.coerce.number().int().min(50).default(1000).describe('How often the scanner asks the node for new transactions.'),
  ONCHAIN_BATCH_INTERVAL_SECONDS: z.coerce.number().int().min(1).default(60).describe('Payout queue: a batch at least this often while withdrawals wait.'),
  ONCHAIN_BATCH_THRESHOLD: z.coerce.number().int().min(1).default(100).describe('Payout queue: a batch at once when this many withdrawals wait (or any `fast` one).'),
  ONCHAIN_BATCH_MAX: z.coerce.number().int().min(1).max(5000).default(2000).describe('Most withdrawals in one transaction.'),
  ONCHAIN_BUMP_AFTER_SECONDS: z.coerce.number().int().min(1).default(1800).describe('An unconfirmed batch is fee-bumped (RBF) after this long.'),
  ONCHAIN_COLD_HIGH_WATER_SAT: z.coerce.bigint().min(0n).optional().describe('Above this hot balance (sat) the workers sweep the excess, down to the midpoint of the water marks, to cold storage.'),
  ONCHAIN_COLD_LOW_WATER_SAT: z.coerce.bigint().min(0n).optional().describe('Below this hot balance (sat) the operator is told to refill from cold (`flash cold psbt`).'),
  // --- end on-chain ---
} as const;

/** Variables whose values are never printed. */
export const secretVariables = new Set<keyof typeof variables>(['MASTER_KEY', 'MASTER_KEYS_RETIRED', 'PKCS11_PIN', 'BOT_DM_SIGNER', 'LND_MACAROON', 'BOT_DM_NSEC', 'ZAP_NSEC', 'METRICS_TOKEN', 'BITCOIND_RPC_PASSWORD']);

const schema = z.object(variables);
type Raw = z.infer<typeof schema>;

export type Config = Omit<Raw, 'DATA_DIR' | 'ONCHAIN_CONFIRMATIONS'> & {
  DATA_DIR: string;
  ONCHAIN_CONFIRMATIONS: number;
  publicUrl: string;
  relayUrl: string;
};

export class ConfigError extends CodedError<'config'> {
  override name = 'ConfigError';
  readonly issues: string[];
  constructor(issues: string[]) {
    super('config', `invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
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
  if (c.NETWORK !== 'regtest' && c.MASTER_KEY_PROVIDER === 'env' && !c.MASTER_KEY) {
    throw new ConfigError([`MASTER_KEY: required when NETWORK=${c.NETWORK} (generate one with \`openssl rand -hex 32\`, or choose another MASTER_KEY_PROVIDER)`]);
  }
  const needs = { file: ['MASTER_KEY_FILE'], command: ['MASTER_KEY_COMMAND'], pkcs11: ['PKCS11_MODULE', 'PKCS11_PIN'], env: [] } as const;
  const missing = needs[c.MASTER_KEY_PROVIDER].filter((name) => !c[name]);
  if (missing.length) throw new ConfigError(missing.map((name) => `${name}: required when MASTER_KEY_PROVIDER=${c.MASTER_KEY_PROVIDER}`));
  return {
    ...c,
    DATA_DIR: c.DATA_DIR ?? defaultDataDir(env),
    ONCHAIN_CONFIRMATIONS: c.ONCHAIN_CONFIRMATIONS ?? (c.NETWORK === 'regtest' ? 1 : 3),
    publicUrl: (c.PUBLIC_URL ?? `http://${c.API_HOST}:${c.API_PORT}`).replace(/\/$/, ''),
    relayUrl: c.RELAY_URL ?? `ws://${c.RELAY_HOST}:${c.RELAY_PORT}`,
  };
}

/**
 * Per user, as bitcoind and LND keep theirs: the database is machine-wide, so a key kept in
 * one checkout would not follow a second clone of the same user.
 */
export function defaultDataDir(env: Record<string, string | undefined>): string {
  const xdg = env.XDG_DATA_HOME;
  return xdg && path.isAbsolute(xdg) ? path.join(xdg, 'flash') : path.join(env.HOME || homedir(), '.local', 'share', 'flash');
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
