// `connect`, `connections`, `revoke`: the user's Nostr Wallet Connect links, through the NWC
// service's functions. Ids are shown by their first 8 characters; `revoke` takes any unique
// prefix of one of the user's own active connections.
import { periodStart, usedBudget } from '../nwc/budget.ts';
import { createConnection, listConnections, revokeConnection, type Connection } from '../nwc/connections.ts';
import type { Command } from './commands.ts';
import { t, type ConnectionItem } from './i18n/index.ts';
import type { DmDeps, Reply, Session } from './session.ts';

const shortId = (id: string) => id.slice(0, 8);

async function activeConnections(d: DmDeps, s: Session): Promise<Connection[]> {
  return (await listConnections(d.ctx, s.sender)).filter((c) => c.status === 'active');
}

export async function connect(d: DmDeps, s: Session, cmd: Extract<Command, { type: 'connect' }>): Promise<Reply> {
  // The app's lud16 defaults to the user's address here (createConnection looks it up).
  const { connection, uri } = await createConnection(d.ctx, {
    user: s.sender, name: cmd.app, budgetSats: cmd.budgetMsat === undefined ? undefined : (cmd.budgetMsat + 999n) / 1000n, renewal: cmd.period,
  });
  return { text: t(s.lang, 'connection.created', { app: connection.name, uri, budgetMsat: connection.budgetMsat, period: connection.renewal }) };
}

export async function connections(d: DmDeps, s: Session): Promise<Reply> {
  const active = await activeConnections(d, s);
  if (!active.length) return { text: t(s.lang, 'connection.none') };
  const now = new Date();
  const items: ConnectionItem[] = await Promise.all(active.map(async (c) => ({
    id: shortId(c.id), app: c.name, budgetMsat: c.budgetMsat, period: c.renewal,
    usedMsat: await usedBudget(d.ctx.sql, c.id, periodStart(c.renewal, now)),
  })));
  return { text: t(s.lang, 'connection.list', { items }) };
}

export async function revoke(d: DmDeps, s: Session, cmd: Extract<Command, { type: 'revoke' }>): Promise<Reply> {
  const prefix = cmd.id.toLowerCase();
  const matches = (await activeConnections(d, s)).filter((c) => c.id.startsWith(prefix));
  const revoked = matches.length === 1 ? await revokeConnection(d.ctx, matches[0]!.id, { accountId: s.accountId }) : undefined;
  return { text: revoked ? t(s.lang, 'connection.revoked', { id: shortId(revoked.id) }) : t(s.lang, 'connection.not-found', { id: cmd.id }) };
}
