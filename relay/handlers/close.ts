// CLOSE: ends a subscription; unknown ids are ignored (the client may race the relay).
import type { Connection } from '../connection.ts';
import type { RelayEngine } from '../engine.ts';

export function handleClose(r: RelayEngine, conn: Connection, subId: string): void {
  const sub = conn.subs.get(subId);
  if (!sub) return;
  r.live.remove(sub);
  conn.subs.delete(subId);
}
