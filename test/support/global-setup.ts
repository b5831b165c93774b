// Once per run: a migrated template database that each test file clones (fast and isolated).
// Names carry the run's start time, so parallel runs (several checkouts on one server) never
// touch each other's databases, and leftovers of killed runs are dropped after a while.
import type { TestProject } from 'vitest/node';
import { connect, type Sql } from '../../core/db.ts';
import { ensureDatabase } from '../../core/db.ts';
import { migrate } from '../../core/migrate.ts';
import { connectRedis, unlinkMatching } from '../../core/redis.ts';
import { adminUrl, newRunId, redisUrl, runAgeMs, templateName, urlFor } from './db.ts';

const STALE_MS = 3 * 3600_000;

async function dropWhere(admin: Sql, keep: (name: string) => boolean): Promise<void> {
  const rows = await admin<{ datname: string }[]>`select datname from pg_database where datname ~ '^flash_(t|tpl)_'`;
  for (const { datname } of rows) {
    if (!keep(datname)) await admin.unsafe(`drop database if exists "${datname}" with (force)`);
  }
}

/** Removes the Redis keys of this run (every test prefix comes from uniqueName, which names the run). */
async function dropRedisKeys(run: string): Promise<void> {
  const redis = connectRedis(redisUrl());
  try {
    await unlinkMatching(redis, `*_${run}_*`);
  } finally {
    redis.disconnect();
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const run = newRunId();
  project.provide('testRun', run);
  await ensureDatabase(adminUrl());
  const admin = connect(adminUrl(), { max: 1 });
  await dropWhere(admin, (name) => runAgeMs(name) < STALE_MS);
  await admin.unsafe(`create database "${templateName(run)}"`);
  const tpl = connect(urlFor(templateName(run)), { max: 1 });
  await migrate(tpl);
  await tpl.end();
  await admin.end();
  return async () => {
    const a = connect(adminUrl(), { max: 1 });
    await dropWhere(a, (name) => !name.includes(`_${run}`));
    await a.end();
    await dropRedisKeys(run);
  };
}

declare module 'vitest' {
  export interface ProvidedContext { testRun: string }
}
