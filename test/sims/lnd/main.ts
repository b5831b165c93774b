// Starts the LND stand-in for manual use: `node test/sims/lnd/main.ts [alias …]` prints the
// nodes' sockets, macaroons and the certificate path as JSON, then runs until SIGINT/SIGTERM.
import { startLndSim } from './sim.ts';

const sim = await startLndSim({ aliases: process.argv.length > 2 ? process.argv.slice(2) : undefined });
console.log(JSON.stringify({
  network: sim.network,
  certPath: sim.certPath,
  cert: sim.certBase64,
  nodes: sim.nodes.map(({ state: _, ...printed }) => printed),
}, null, 2));

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void sim.close().then(() => process.exit(0)));
}
