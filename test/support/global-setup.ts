// Once per run: a migrated template database that each test file clones (fast and isolated).
import { connect, ensureDatabase } from '../../core/db.ts';
import { migrate } from '../../core/migrate.ts';
import { adminUrl, TEMPLATE_DB, urlFor } from './db.ts';

export default async function setup(): Promise<() => Promise<void>> {
  await ensureDatabase(adminUrl());
  const admin = connect(adminUrl(), { max: 1 });
  // Drop leftovers of earlier runs (a killed run never reached its teardown).
  const stale = await admin<{ datname: string }[]>`select datname from pg_database where datname like 'flash_t_%' or datname = ${TEMPLATE_DB}`;
  for (const { datname } of stale) await admin.unsafe(`drop database if exists "${datname}" with (force)`);
  await admin.unsafe(`create database "${TEMPLATE_DB}"`);
  const tpl = connect(urlFor(TEMPLATE_DB), { max: 1 });
  await migrate(tpl);
  await tpl.end();
  await admin.end();
  return async () => {
    const a = connect(adminUrl(), { max: 1 });
    const left = await a<{ datname: string }[]>`select datname from pg_database where datname like 'flash_t_%' or datname = ${TEMPLATE_DB}`;
    for (const { datname } of left) await a.unsafe(`drop database if exists "${datname}" with (force)`);
    await a.end();
  };
}
