// Which Lightning backend this process drives (LIGHTNING_BACKEND).
import type { Context } from '../../core/context.ts';
import { FakeLightningNode } from './fake.ts';
import { createLndBackend } from './lnd.ts';
import type { LightningBackend } from './port.ts';

/** Our own fake node; `flash dev …` plays the rest of the network as EXTERNAL_FAKE_NODE. */
export const OUR_FAKE_NODE = 'flash';
export const EXTERNAL_FAKE_NODE = 'external';

export async function openLightningBackend(ctx: Context): Promise<LightningBackend> {
  if (ctx.config.LIGHTNING_BACKEND === 'fake') {
    return FakeLightningNode.open(ctx, OUR_FAKE_NODE, { payDelayMs: ctx.config.LIGHTNING_FAKE_PAY_DELAY_MS });
  }
  // Its network is checked against NETWORK when the rail starts (module.ts), with the node info it reads anyway.
  return createLndBackend(ctx.config);
}
