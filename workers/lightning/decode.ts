// BOLT 11 decoding as a node does it (locally, cached by core/lightning/bolt11.ts), with the
// port's errors: a node refuses what it cannot decode, and pays only its own network's requests.
import { Bolt11Error, decodeBolt11, type Bolt11 } from '../../core/lightning/bolt11.ts';
import type { Network } from '../../core/lightning/types.ts';
import { LightningError } from './port.ts';

/** Throws `invalid_invoice`, or `wrong_network` when `network` is given and differs. */
export function decodeForNode(paymentRequest: string, network?: Network): Bolt11 {
  let invoice: Bolt11;
  try {
    invoice = decodeBolt11(paymentRequest);
  } catch (err) {
    throw err instanceof Bolt11Error ? new LightningError('invalid_invoice', err.message) : err;
  }
  if (network && invoice.network !== network) throw new LightningError('wrong_network', `the invoice is for ${invoice.network}, not ${network}`);
  return invoice;
}
