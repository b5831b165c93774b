// Operator alerts (core/risk/alerts.ts) as NIP-17 DMs from the bot to every OPERATOR_NPUBS key.
// Consumer group `dm-alerts:<bot>` on the `risk.alert` events; each alert is claimed in
// risk_alerts before it is sent (events arrive at least once; RISK_ALERTS_PER_HOUR caps them).
import { hostname } from 'node:os';
import { consumeEvents } from '../../core/events.ts';
import type { Logger } from '../../core/log.ts';
import { metrics } from '../../core/metrics.ts';
import { parsePubkey } from '../../core/nostr/keys.ts';
import { claimAlert, riskAlert } from '../../core/risk/alerts.ts';
import type { DmDeps } from './session.ts';

export const operatorPubkeys = (npubs: string[]): Set<string> => new Set(npubs.map((n) => parsePubkey(n)));

export function startAlerts(d: DmDeps, opts: { botPubkey: string; log: Logger }): Promise<{ stop(): Promise<void> }> {
  const operators = [...operatorPubkeys(d.ctx.config.OPERATOR_NPUBS)];
  return consumeEvents({
    redis: d.ctx.redis,
    prefix: d.ctx.config.REDIS_PREFIX,
    group: `dm-alerts:${opts.botPubkey}`,
    consumer: `${hostname()}:${process.pid}`,
    events: [riskAlert],
    log: opts.log,
    handler: async (e) => {
      const outcome = operators.length ? await claimAlert(d.ctx.sql, e.key, d.ctx.config.RISK_ALERTS_PER_HOUR) : 'no operators';
      metrics.riskAlerts.inc({ kind: e.kind, outcome: outcome === 'send' ? 'sent' : outcome });
      if (outcome === 'limited') opts.log.warn({ alert: e.key }, 'operator alert not sent: RISK_ALERTS_PER_HOUR reached');
      if (outcome !== 'send') return;
      await Promise.all(operators.map((p) => d.messenger.send(p, 'nip17', `[flash alert] ${e.text}`)));
    },
  });
}
