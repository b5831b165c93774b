// The `relay` role: the Nostr relay on RELAY_HOST:RELAY_PORT (WebSocket, NIP-11, NIP-86).
import type { Role } from '../core/role.ts';
import { startRelay } from './server.ts';

export const relayRole: Role = async (ctx) => {
  const relay = await startRelay(ctx);
  return {
    describe: [`relay: ${relay.url}${ctx.config.relayUrl === relay.url ? '' : ` (public ${ctx.config.relayUrl})`}`],
    stop: () => relay.stop(),
  };
};
