// Simulated state → lnd's protobuf messages (lnrpc.Invoice, lnrpc.Payment, …) with the field
// names, enum names and int64-as-string values that @grpc/proto-loader (keepCase) encodes.
import { invoiceFeatures } from './bolt11.ts';
import { blockHeight, type Attempt, type SimInvoice, type SimNode, type SimPayment } from './node.ts';

const sat = (msat: bigint) => (msat / 1000n).toString();

const featureNames: Record<number, string> = { 9: 'tlv-onion', 14: 'payment-addr', 17: 'multi-path-payments' };

export const features = () => Object.fromEntries(invoiceFeatures.map((bit) => [bit, { name: featureNames[bit], is_required: bit % 2 === 0, is_known: true }]));

/** protobufjs hands 64-bit map keys over as 8-byte little-endian "hash" strings; lnd's keys are numbers. */
export function recordKey(key: string): string {
  return /^\d+$/.test(key) ? key : Buffer.from(key, 'latin1').readBigUInt64LE().toString();
}

export function invoiceMessage(i: SimInvoice) {
  return {
    memo: i.memo,
    r_preimage: i.preimage ?? Buffer.alloc(0),
    r_hash: i.hash,
    value: sat(i.valueMsat),
    value_msat: i.valueMsat.toString(),
    settled: i.state === 'SETTLED',
    creation_date: String(i.createdAt),
    settle_date: String(i.settleDate),
    payment_request: i.paymentRequest,
    description_hash: i.descriptionHash,
    expiry: String(i.expiry),
    fallback_addr: '',
    cltv_expiry: String(i.cltvExpiry),
    route_hints: [],
    private: false,
    add_index: i.addIndex.toString(),
    settle_index: i.settleIndex.toString(),
    amt_paid: sat(i.amtPaidMsat),
    amt_paid_sat: sat(i.amtPaidMsat),
    amt_paid_msat: i.amtPaidMsat.toString(),
    state: i.state,
    htlcs: i.htlcs.map((h) => ({
      chan_id: h.chanId,
      htlc_index: h.htlcIndex.toString(),
      amt_msat: h.amountMsat.toString(),
      accept_height: blockHeight,
      accept_time: String(h.acceptTime),
      resolve_time: String(h.resolveTime),
      expiry_height: blockHeight + i.cltvExpiry,
      state: h.state,
      custom_records: h.customRecords,
      mpp_total_amt_msat: i.isKeysend ? '0' : h.amountMsat.toString(),
    })),
    features: features(),
    is_keysend: i.isKeysend,
    payment_addr: i.paymentAddr,
    is_amp: false,
  };
}

function routeMessage(a: Attempt) {
  const total = (a.hops[0]?.forwardMsat ?? 0n) + a.hops.reduce((s, h) => s + h.feeMsat, 0n);
  const fees = total - (a.hops.at(-1)?.forwardMsat ?? 0n);
  return {
    total_time_lock: a.hops[0]?.expiry ?? 0,
    total_fees: sat(fees),
    total_amt: sat(total),
    total_fees_msat: fees.toString(),
    total_amt_msat: total.toString(),
    hops: a.hops.map((h) => ({
      chan_id: h.chanId,
      chan_capacity: '0',
      amt_to_forward: sat(h.forwardMsat),
      fee: sat(h.feeMsat),
      expiry: h.expiry,
      amt_to_forward_msat: h.forwardMsat.toString(),
      fee_msat: h.feeMsat.toString(),
      pub_key: h.pubkey,
      tlv_payload: true,
      mpp_record: h.paymentAddr ? { payment_addr: h.paymentAddr, total_amt_msat: (h.totalMsat ?? h.forwardMsat).toString() } : undefined,
      custom_records: h.customRecords,
    })),
  };
}

export function paymentMessage(p: SimPayment) {
  return {
    payment_hash: p.hash,
    value: sat(p.valueMsat),
    creation_date: String(p.createdNs / 1_000_000_000n),
    fee: sat(p.feeMsat),
    payment_preimage: p.preimage ?? '0'.repeat(64),
    value_sat: sat(p.valueMsat),
    value_msat: p.valueMsat.toString(),
    payment_request: p.request,
    status: p.status,
    fee_sat: sat(p.feeMsat),
    fee_msat: p.feeMsat.toString(),
    creation_time_ns: p.createdNs.toString(),
    htlcs: p.htlcs.map((a) => ({
      attempt_id: a.id.toString(),
      status: a.status,
      route: routeMessage(a),
      attempt_time_ns: a.attemptNs.toString(),
      resolve_time_ns: a.resolveNs.toString(),
      failure: a.status === 'FAILED' ? { code: 'INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS', failure_source_index: a.hops.length } : undefined,
      preimage: a.preimage ?? Buffer.alloc(0),
    })),
    payment_index: p.index.toString(),
    failure_reason: p.failureReason,
  };
}

const amount = (msat: bigint) => ({ sat: sat(msat), msat: msat.toString() });

export function channelBalanceMessage(n: SimNode) {
  const spendable = n.localMsat - n.inflightMsat;
  return {
    balance: sat(spendable),
    pending_open_balance: '0',
    local_balance: amount(spendable),
    remote_balance: amount(n.remoteMsat),
    unsettled_local_balance: amount(n.inflightMsat),
    unsettled_remote_balance: amount(0n),
    pending_open_local_balance: amount(0n),
    pending_open_remote_balance: amount(0n),
  };
}
