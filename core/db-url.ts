// PostgreSQL connection URLs as postgres.js reads them: the host part may list several
// `host:port` (a primary and its standbys; with `?target_session_attrs=read-write` the pool
// connects to whichever is writable), which WHATWG `URL` refuses, so they are split here.
const PARTS = /^(postgres(?:ql)?:\/\/(?:[^@/?#]*@)?)([^/?#]*)(\/[^?#]*)?(\?[^#]*)?$/;

/** True for a postgres:// URL with one or more valid `host[:port]`. */
export function isDatabaseUrl(url: string): boolean {
  const m = PARTS.exec(url);
  return !!m && !!m[2] && m[2].split(',').every((h) => URL.canParse(`postgres://${h}`) && new URL(`postgres://${h}`).hostname !== '');
}

/** The database a URL names. */
export function databaseName(url: string): string {
  return decodeURIComponent(PARTS.exec(url)?.[3]?.slice(1) ?? '');
}

/** The same URL (every host, every parameter) naming another database. */
export function withDatabase(url: string, name: string): string {
  const m = PARTS.exec(url);
  if (!m) throw new Error('not a PostgreSQL URL');
  return `${m[1]}${m[2]}/${encodeURIComponent(name)}${m[4] ?? ''}`;
}
