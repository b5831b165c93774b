// The `relay` role: the Nostr relay on RELAY_HOST:RELAY_PORT (WebSocket, NIP-11, NIP-86).
import type { Role } from '../core/role.ts';
import { startRelay } from './server.ts';

export const relayRole: Role = async (ctx) => {
  const relay = await startRelay(ctx);
  // RELAY_PORT=0 takes any free port: the default public URL is then the one it got, for every
  // role of this process (the bots' own relay, NIP-42) and for the ready line tests read.
  if (ctx.config.RELAY_PORT === 0 && !ctx.config.RELAY_URL) {
    ctx.config.relayUrl = relay.url;
    ctx.outbound.trust(relay.url);
  }
  return {
    describe: [`relay: ${relay.url}${ctx.config.relayUrl === relay.url ? '' : ` (public ${ctx.config.relayUrl})`}`],
    stop: () => relay.stop(),
  };
};
