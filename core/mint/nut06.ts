// NUT-06 mint info: what this mint is and which NUTs it supports (only those it implements).
import type { Context } from '../context.ts';
import { UNIT } from './keys.ts';

export function mintInfo(ctx: Context) {
  const limits = { unit: UNIT, min_amount: Number(ctx.config.MINT_MIN_SAT), max_amount: Number(ctx.config.MINT_MAX_SAT) };
  return {
    name: ctx.config.MINT_NAME,
    version: 'flash/0.1.0',
    description: 'Cashu mint of a Flash payments service',
    nuts: {
      4: { methods: [{ method: 'bolt11', ...limits, options: { description: true } }], disabled: false },
      5: { methods: [{ method: 'bolt11', ...limits }], disabled: false },
      7: { supported: true },
      8: { supported: true },
      9: { supported: true },
      10: { supported: true },
      11: { supported: true },
      12: { supported: true },
      14: { supported: true },
      17: { supported: [{ method: 'bolt11', unit: UNIT, commands: ['bolt11_mint_quote', 'bolt11_melt_quote', 'proof_state'] }] },
      19: { ttl: 300, cached_endpoints: ['/v1/mint/bolt11', '/v1/swap', '/v1/melt/bolt11'].map((path) => ({ method: 'POST', path })) },
      20: { supported: true },
    },
    time: Math.floor(Date.now() / 1000),
  };
}
