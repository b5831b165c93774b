// Business zap batches (filled in below).
import type { Context } from '../../core/context.ts';

export async function runBatch(_ctx: Context, _batchId: string): Promise<{ paid: number; failed: number; pending: number }> {
  return { paid: 0, failed: 0, pending: 0 };
}
