// The `lightning` queue's processors: the only code that asks the node to issue invoices,
// pay, settle or cancel. Each job is idempotent (see core/jobs.ts).
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { Context } from '../../core/context.ts';
import type { Jobs } from '../../core/jobs.ts';
import { creditInvoice, lookupInvoice, markCanceled, recordInvoice } from '../../core/lightning/invoices.ts';
import { findByKey } from '../../core/payments/transactions.ts';
import type { Handlers } from '../../core/queue.ts';
import { attemptPayment } from './attempt.ts';
import { LightningError, type Invoice, type LightningBackend } from './port.ts';
import { reconcile } from './reconcile.ts';

export function lightningHandlers(ctx: Context, backend: LightningBackend): Handlers<Jobs> {
  return {
    'lightning.createInvoice': async (p) => {
      const existing = await findByKey(ctx.sql, p.accountId, p.idempotencyKey);
      if (existing) return { transactionId: existing.id };
      const req = { amountMsat: p.amountMsat, description: p.description, descriptionHash: p.descriptionHash, expirySeconds: p.expirySeconds };
      let inv: Invoice | undefined;
      if (!p.paymentHash) {
        inv = await backend.createInvoice(req);
      } else {
        // A retried job finds the hold invoice it made before.
        inv = await backend.createHoldInvoice({ ...req, paymentHash: p.paymentHash }).catch(async (err: unknown) => {
          if (err instanceof LightningError && err.code === 'duplicate') return backend.lookupInvoice(p.paymentHash!);
          throw err;
        });
        if (!inv) throw new Error('hold invoice vanished');
      }
      const t = await recordInvoice(ctx.sql, p, { ...inv, isHold: Boolean(p.paymentHash) });
      return { transactionId: t.id };
    },

    'lightning.pay': async ({ transactionId }) => {
      const t = await attemptPayment(ctx, backend, transactionId, 'pay');
      return { status: t.status, feeMsat: t.feeMsat, preimage: t.preimage, reason: t.failureReason, message: t.failureMessage };
    },

    'lightning.settleHoldInvoice': async ({ preimage }) => {
      const paymentHash = bytesToHex(sha256(hexToBytes(preimage)));
      await backend.settleHoldInvoice(preimage);
      const inv = await backend.lookupInvoice(paymentHash);
      // The watcher would credit it too; crediting here lets the caller see it settled at once.
      if (inv?.state === 'settled') await creditInvoice(ctx, { paymentHash, receivedMsat: inv.receivedMsat, preimage, settledAt: inv.settledAt });
      return { transactionId: (await lookupInvoice(ctx.sql, { paymentHash }))!.id };
    },

    'lightning.cancelInvoice': async ({ paymentHash }) => {
      try {
        await backend.cancelHoldInvoice(paymentHash);
      } catch (err) {
        // Already settled or unknown on the node: nothing left to cancel.
        if (!(err instanceof LightningError && (err.code === 'invalid_request' || err.code === 'not_found'))) throw err;
      }
      await markCanceled(ctx.sql, paymentHash);
      return {};
    },

    'lightning.reconcile': async ({ olderThanSeconds }) => reconcile(ctx, backend, olderThanSeconds),
  };
}
