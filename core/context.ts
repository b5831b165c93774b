// What every role shares in one process: config, logger, database, Redis, secrets, job bus.
import type { Redis } from 'ioredis';
import type { Config } from './config.ts';
import { connect, type Sql } from './db.ts';
import { jobs, type Jobs } from './jobs.ts';
import { createLogger, type Logger } from './log.ts';
import { prepareDatabase } from './migrate.ts';
import { outboundFromConfig, type Outbound } from './outbound.ts';
import { JobBus } from './queue.ts';
import { connectRedis, logErrors } from './redis.ts';
import { Keyring, keyringFromConfig, SecretStore } from './secrets.ts';

export interface Context {
  config: Config;
  log: Logger;
  sql: Sql;
  /** For history and analytics reads that may lag (a standby when DATABASE_READ_URL is set); never ledger reads. */
  readSql: Sql;
  redis: Redis;
  keyring: Keyring;
  secrets: SecretStore;
  bus: JobBus<Jobs>;
  /** The policy for every connection to an address a stranger chose. */
  outbound: Outbound;
}

export async function createContext(config: Config, opts: { log?: Logger; migrate?: boolean } = {}): Promise<Context> {
  const log = opts.log ?? createLogger({ level: config.LOG_LEVEL, pretty: config.LOG_PRETTY });
  if (opts.migrate ?? true) {
    const applied = await prepareDatabase(config);
    if (applied.length) log.info({ applied }, 'migrations applied');
  }
  const sql = connect(config.DATABASE_URL, { max: config.DATABASE_POOL });
  const readSql = config.DATABASE_READ_URL ? connect(config.DATABASE_READ_URL, { max: config.DATABASE_POOL }) : sql;
  const keyring = keyringFromConfig(config);
  const redis = logErrors(connectRedis(config.REDIS_URL), log, 'main');
  const bus = new JobBus(jobs, { redisUrl: config.REDIS_URL, prefix: config.REDIS_PREFIX, log });
  return { config, log, sql, readSql, redis, keyring, secrets: new SecretStore(sql, keyring), bus, outbound: outboundFromConfig(config) };
}

export async function closeContext(ctx: Context): Promise<void> {
  await ctx.bus.close();
  ctx.redis.disconnect();
  if (ctx.readSql !== ctx.sql) await ctx.readSql.end({ timeout: 5 });
  await ctx.sql.end({ timeout: 5 });
  await ctx.outbound.close();
}
