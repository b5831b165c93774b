// The anomaly rules' consumer (core/risk/rules.ts): consumer group `risk-rules` on the outcomes
// of outgoing payments, in every workers process (the group shares the stream out).
import { hostname } from 'node:os';
import type { Context } from '../../core/context.ts';
import { consumeEvents } from '../../core/events.ts';
import type { Logger } from '../../core/log.ts';
import { paymentFailed, paymentSent } from '../../core/payments/events.ts';
import { evaluateRules } from '../../core/risk/rules.ts';

export function startRules(ctx: Context, log: Logger): Promise<{ stop(): Promise<void> }> {
  return consumeEvents({
    redis: ctx.redis,
    prefix: ctx.config.REDIS_PREFIX,
    group: 'risk-rules',
    consumer: `${hostname()}:${process.pid}`,
    events: [paymentSent, paymentFailed],
    log,
    handler: () => Promise.reject(new Error('risk-rules reads batches')),
    // One query for all the payments of a read.
    handleBatch: async (events) => {
      for (const [transactionId, rules] of await evaluateRules(ctx, events)) log.warn({ transactionId, rules }, 'anomaly rules fired');
    },
  });
}
