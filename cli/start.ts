// `flash start [role…]`: runs the chosen roles (default: all) in this process until a signal.
import { closeContext, createContext } from '../core/context.ts';
import type { Config } from '../core/config.ts';
import type { Role, RunningRole } from '../core/role.ts';
import { apiRole } from '../api/role.ts';
import { botsRole } from '../bots/role.ts';
import { workersRole } from '../workers/role.ts';
import { relayRole } from '../relay/role.ts';

/** In start-up order: backends' workers first, public faces last. */
export const roles: Record<string, Role> = {
  workers: workersRole,
  relay: relayRole,
  api: apiRole,
  bots: botsRole,
};

export async function start(config: Config, names: string[]): Promise<void> {
  const chosen = names.length === 0 || names.includes('all') ? Object.keys(roles) : names;
  const unknown = chosen.filter((n) => !roles[n]);
  if (unknown.length) throw new Error(`unknown role ${unknown.join(', ')}; choose from all, ${Object.keys(roles).join(', ')}`);

  const ctx = await createContext(config);
  const log = ctx.log;
  log.info({ node: process.version, network: config.NETWORK, roles: chosen }, 'starting flash');
  const running: RunningRole[] = [];
  let stopping: Promise<void> | undefined;
  const stop = (signal: string) => {
    stopping ??= (async () => {
      log.info({ signal }, 'shutting down');
      const force = setTimeout(() => { log.error('shutdown took too long; exiting'); process.exit(1); }, config.SHUTDOWN_GRACE_MS);
      force.unref();
      for (const r of running.reverse()) await r.stop().catch((err: unknown) => log.error({ err }, 'role stop failed'));
      await closeContext(ctx);
      clearTimeout(force);
      log.info('stopped');
      // Everything is drained and closed; a handle some library left open must not hold the
      // process (or turn a clean stop into a failure). Name it for whoever hunts it down.
      setTimeout(() => {
        log.warn({ resources: process.getActiveResourcesInfo() }, 'resources still open after shutdown; exiting');
        process.exit(0);
      }, 1000).unref();
    })();
    return stopping;
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));

  try {
    for (const name of Object.keys(roles).filter((n) => chosen.includes(n))) running.push(await roles[name]!(ctx));
  } catch (err) {
    await stop('startup failure');
    throw err;
  }
  const lines = [`flash is ready (Node ${process.version}, ${config.NETWORK})`, ...running.flatMap((r) => r.describe)];
  log.info({ ready: lines }, 'ready');
  console.log(lines.map((l) => `  ${l}`).join('\n'));
}
