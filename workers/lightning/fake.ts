// The embedded fake Lightning node (regtest only). Several fake nodes form a network in
// PostgreSQL (fake_ln_* tables): each has its own key (sealed in `secrets`) and issues real
// signed BOLT 11 invoices; a payment to another fake node's invoice settles it at once (after
// an injectable delay) for a small routing fee; anything else is unroutable. Every process
// (workers, `flash dev pay`) sees the same network, and it survives restarts.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import type { Config } from '../../core/config.ts';
import { distinctOrThrow, GroupCommit, oneInFlight } from '../../core/group-commit.ts';
import type { Sql, Tx } from '../../core/db.ts';
import type { Logger } from '../../core/log.ts';
import { encodeBolt11 } from '../../core/lightning/bolt11.ts';
import type { DecodedInvoice, PaymentFailureReason } from '../../core/lightning/types.ts';
import type { SecretStore } from '../../core/secrets.ts';
import {
  LightningError, type Balances, type CreateHoldInvoiceRequest, type CreateInvoiceRequest, type Invoice,
  type InvoiceState, type KeysendRequest, type LightningBackend, type NodeInfo, type PayInvoiceRequest,
  type PaymentStatus, type Subscription,
} from './port.ts';
import { decodeForNode } from './decode.ts';

/** What a fake node charges to route a payment: 1 sat plus 0.1 %. */
export function fakeRoutingFeeMsat(amountMsat: bigint): bigint {
  return 1000n + amountMsat / 1000n;
}

export interface FakeFaults {
  /** Outgoing payments stay in flight this long before they settle. */
  payDelayMs?: number;
  /** Every outgoing payment fails with this reason. */
  failPayments?: PaymentFailureReason;
  /** Every call throws `unavailable`, as a node that is down. */
  unavailable?: boolean;
  /** Every outgoing payment is refused (`invalid_request`) with this text, as lnd refuses a send. */
  refuseSends?: string;
  /** Every call throws a plain Error with this text, as a node's (or its database's) internal failure. */
  internalError?: string;
  /** Awaited before the node issues an invoice, as a slow node delays it. */
  beforeIssue?: () => Promise<void>;
  /** Awaited before the node takes a send (records the payment), as a slow link delays it. */
  beforeSend?: (paymentHash: string) => Promise<void>;
  /** Channel funds lost (a force-close, a theft): the local balance reported is this much lower. */
  lostMsat?: bigint;
}

interface InvoiceRow {
  payment_hash: string; payment_request: string; preimage: string | null; amount_msat: bigint | null; received_msat: bigint;
  state: InvoiceState; is_hold: boolean; description: string | null; description_hash: string | null; created_at: Date;
  expires_at: Date; settled_at: Date | null; settle_index: bigint | null; update_index: bigint | null;
}
interface SendItem { hash: string; destination: string; target: string | null; amount: string; fee: string; failure: PaymentFailureReason | null; delay: number }
interface PaymentRow {
  payment_hash: string; destination: string; amount_msat: bigint; fee_msat: bigint; status: 'pending' | 'succeeded' | 'failed';
  preimage: string | null; failure_reason: PaymentFailureReason | null; created_at: Date; completes_at: Date;
}

const CHANNEL = 'fake_ln';
const CLTV_DELTA = 40;
const CAPACITY_MSAT = 1_000_000_000_000n;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hashOf = (preimageHex: string) => bytesToHex(sha256(hexToBytes(preimageHex)));

function toInvoice(r: InvoiceRow): Invoice {
  return {
    paymentHash: r.payment_hash, paymentRequest: r.payment_request, amountMsat: r.amount_msat ?? undefined, receivedMsat: r.received_msat,
    state: r.state, isHold: r.is_hold, preimage: r.preimage ?? undefined, description: r.description ?? undefined,
    descriptionHash: r.description_hash ?? undefined, createdAt: r.created_at, expiresAt: r.expires_at, settledAt: r.settled_at ?? undefined,
    settleIndex: r.settle_index ?? undefined,
  };
}

function toStatus(p: PaymentRow): PaymentStatus {
  if (p.status === 'succeeded') return { status: 'succeeded', paymentHash: p.payment_hash, preimage: p.preimage!, amountMsat: p.amount_msat, feeMsat: p.fee_msat };
  if (p.status === 'failed') return { status: 'failed', paymentHash: p.payment_hash, reason: p.failure_reason ?? 'error' };
  return { status: 'pending', paymentHash: p.payment_hash };
}

export interface FakeNodeDeps { sql: Sql; secrets: SecretStore; config: Pick<Config, 'NETWORK'>; log: Logger }

export class FakeLightningNode implements LightningBackend {
  readonly kind = 'fake' as const;
  readonly name: string;
  readonly pubkey: string;
  faults: FakeFaults;
  readonly #key: Uint8Array;
  readonly #sql: Sql;
  readonly #log: Logger;
  readonly #subscriptions = new Set<Subscription>();
  readonly #nodes = new Map<string, string>();
  readonly #announcing = new Set<string>();
  readonly #notifying = new Set<Promise<unknown>>();
  readonly #sends: GroupCommit<SendItem, PaymentRow | undefined>;

  private constructor(deps: FakeNodeDeps, name: string, key: Uint8Array, faults: FakeFaults) {
    this.name = name;
    this.#key = key;
    this.pubkey = bytesToHex(secp256k1.getPublicKey(key, true));
    this.#sql = deps.sql;
    this.#log = deps.log.child({ fakeNode: name });
    this.faults = faults;
    this.#sends = new GroupCommit((items) => this.#sendBatch(items), oneInFlight);
  }

  /** Opens (creating on first use) the fake node `name`; refuses any network but regtest. */
  static async open(deps: FakeNodeDeps, name: string, faults: FakeFaults = {}): Promise<FakeLightningNode> {
    if (deps.config.NETWORK !== 'regtest') throw new Error(`the fake Lightning node runs only on regtest, not ${deps.config.NETWORK}`);
    const key = await deps.secrets.getOrCreate(`lightning:fake:${name}`, () => secp256k1.utils.randomSecretKey());
    const node = new FakeLightningNode(deps, name, key, faults);
    await deps.sql`insert into fake_ln_nodes (name, pubkey) values (${name}, ${node.pubkey})
      on conflict (name) do update set pubkey = excluded.pubkey`;
    return node;
  }

  #guard(): void {
    if (this.faults.unavailable) throw new LightningError('unavailable', `fake node ${this.name} is unavailable (injected fault)`);
    if (this.faults.internalError) throw new Error(this.faults.internalError);
  }

  async getInfo(): Promise<NodeInfo> {
    this.#guard();
    return { pubkey: this.pubkey, alias: `fake-${this.name}`, network: 'regtest', blockHeight: 1, syncedToChain: true };
  }

  async #issue(req: CreateInvoiceRequest, paymentHash: string, preimage: string | null): Promise<Invoice> {
    this.#guard();
    await this.faults.beforeIssue?.();
    if (req.description !== undefined && req.descriptionHash) throw new LightningError('invalid_request', 'description and description hash are exclusive');
    const createdAt = new Date(Math.floor(Date.now() / 1000) * 1000);
    const paymentRequest = encodeBolt11({
      privateKey: this.#key, network: 'regtest', paymentHash, paymentSecret: bytesToHex(randomBytes(32)), amountMsat: req.amountMsat,
      description: req.description, descriptionHash: req.descriptionHash, createdAt, expirySeconds: req.expirySeconds, cltvDelta: CLTV_DELTA,
    });
    const [row] = await this.#sql<InvoiceRow[]>`
      insert into fake_ln_invoices (node, payment_hash, payment_request, preimage, amount_msat, state, is_hold, description,
        description_hash, created_at, expires_at)
      values (${this.name}, ${paymentHash}, ${paymentRequest}, ${preimage}, ${req.amountMsat ?? null}, 'open', ${preimage === null},
        ${req.descriptionHash ? null : (req.description ?? '')}, ${req.descriptionHash ?? null}, ${createdAt},
        ${new Date(createdAt.getTime() + req.expirySeconds * 1000)})
      on conflict do nothing returning *`;
    if (!row) throw new LightningError('duplicate', 'an invoice with this payment hash exists');
    return toInvoice(row);
  }

  createInvoice(req: CreateInvoiceRequest): Promise<Invoice> {
    const preimage = bytesToHex(randomBytes(32));
    return this.#issue(req, hashOf(preimage), preimage);
  }

  createHoldInvoice(req: CreateHoldInvoiceRequest): Promise<Invoice> {
    return this.#issue(req, req.paymentHash, null);
  }

  async settleHoldInvoice(preimage: string): Promise<void> {
    this.#guard();
    const hash = hashOf(preimage);
    await this.#sql.begin(async (tx) => {
      const [inv] = await this.#lockInvoice(tx, this.name, hash);
      if (!inv) throw new LightningError('not_found', 'no invoice for this preimage');
      if (inv.state === 'settled') return;
      if (inv.state !== 'accepted') throw new LightningError('invalid_request', `the invoice is ${inv.state}, not accepted`);
      await Promise.all([
        this.#advance(tx, this.name, hash, 'settled', preimage),
        tx`update fake_ln_payments set status = 'succeeded', preimage = ${preimage}
          where payment_hash = ${hash} and destination = ${this.pubkey} and status = 'pending'`.execute(),
      ]);
    });
    this.#announce(this.name);
  }

  async cancelHoldInvoice(paymentHash: string): Promise<void> {
    this.#guard();
    await this.#sql.begin(async (tx) => {
      const [inv] = await this.#lockInvoice(tx, this.name, paymentHash);
      if (!inv) throw new LightningError('not_found', 'no such invoice');
      if (inv.state === 'canceled') return;
      if (inv.state === 'settled') throw new LightningError('invalid_request', 'the invoice is already settled');
      await Promise.all([
        this.#advance(tx, this.name, paymentHash, 'canceled'),
        tx`update fake_ln_payments set status = 'failed', failure_reason = 'incorrect_payment_details'
          where payment_hash = ${paymentHash} and destination = ${this.pubkey} and status = 'pending'`.execute(),
      ]);
    });
    this.#announce(this.name);
  }

  /**
   * Lock order, in every transaction that touches both: first the one invoice, then the
   * payments to it (settle, cancel, and fake_ln_send / fake_ln_resolve in SQL). Only the sequencer locks several invoices, and
   * it locks no payment, so no cycle of waits can form.
   */
  #lockInvoice(tx: Tx, node: string, hash: string): Promise<InvoiceRow[]> {
    return tx<InvoiceRow[]>`select * from fake_ln_invoices where node = ${node} and payment_hash = ${hash} for update`.execute();
  }

  /**
   * Moves an invoice to a new state. Its update index is assigned later, by the subscriber's
   * sequencer (#sequence), in commit order: a lock or NOTIFY here would serialise every
   * payment's commit.
   */
  #advance(tx: Tx, node: string, hash: string, state: InvoiceState, preimage?: string): Promise<unknown> {
    return tx`
      update fake_ln_invoices set state = ${state}, update_index = null, settle_index = null,
        settled_at = case when ${state} = 'settled' then now() end, preimage = coalesce(preimage, ${preimage ?? null})
      where node = ${node} and payment_hash = ${hash}`.execute();
  }

  /** Wakes the node's subscribers, in every process; after commit, one NOTIFY per tick. */
  #announce(node: string): void {
    if (this.#announcing.has(node)) return;
    const sent = new Promise((r) => setImmediate(r))
      .then(() => {
        this.#announcing.delete(node);
        return this.#sql`select pg_notify(${CHANNEL}, ${node})`;
      })
      .catch((err: unknown) => this.#log.warn({ err }, 'notify failed; subscribers poll'))
      .finally(() => this.#notifying.delete(sent));
    this.#announcing.add(node);
    this.#notifying.add(sent);
  }

  /**
   * Numbers this node's committed but unnumbered invoice updates. Sequencers of one node run
   * one at a time (advisory lock), so numbers become visible in order and a subscriber
   * resuming after number n misses nothing.
   */
  async #sequence(): Promise<void> {
    await this.#sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(hashtext(${`fake_ln:${this.name}`}))`;
      await tx`
        with todo as (
          select payment_hash, nextval('fake_ln_update_index') as i from (
            select payment_hash from fake_ln_invoices
            where node = ${this.name} and update_index is null and state <> 'open' order by settled_at, payment_hash) t)
        update fake_ln_invoices f set update_index = todo.i, settle_index = case when f.state = 'settled' then todo.i end
        from todo where f.node = ${this.name} and f.payment_hash = todo.payment_hash`;
    });
  }

  /** The fake node with this pubkey (other than this one); the list is re-read on a miss. */
  async #nodeNamed(pubkey: string): Promise<string | undefined> {
    if (!this.#nodes.has(pubkey)) {
      for (const r of await this.#sql<{ name: string; pubkey: string }[]>`select name, pubkey from fake_ln_nodes`) this.#nodes.set(r.pubkey, r.name);
    }
    const name = this.#nodes.get(pubkey);
    return name === this.name ? undefined : name;
  }

  async decodeInvoice(paymentRequest: string): Promise<DecodedInvoice> {
    this.#guard();
    const { paymentSecret: _secret, ...decoded } = decodeForNode(paymentRequest);
    return decoded;
  }

  async payInvoice(req: PayInvoiceRequest): Promise<PaymentStatus> {
    this.#guard();
    if (this.faults.refuseSends) throw new LightningError('invalid_request', this.faults.refuseSends);
    const inv = decodeForNode(req.paymentRequest, 'regtest');
    if (inv.expiresAt.getTime() <= Date.now()) throw new LightningError('expired', 'the invoice has expired');
    if (inv.amountMsat !== undefined && req.amountMsat !== undefined && inv.amountMsat !== req.amountMsat) {
      throw new LightningError('invalid_request', 'amount given for an invoice with an amount');
    }
    const amountMsat = inv.amountMsat ?? req.amountMsat;
    if (!amountMsat) throw new LightningError('invalid_request', 'amount required for an amountless invoice');
    return this.#send(inv.paymentHash, inv.destination, amountMsat, req.maxFeeMsat, req.timeoutSeconds);
  }

  async keysend(req: KeysendRequest): Promise<PaymentStatus> {
    this.#guard();
    const hash = hashOf(req.preimage);
    const target = await this.#nodeNamed(req.destination);
    if (target) {
      // The receiver learns of a keysend only as it arrives: it becomes an invoice there.
      await this.#sql`
        insert into fake_ln_invoices (node, payment_hash, payment_request, preimage, amount_msat, state, is_hold, created_at, expires_at)
        values (${target}, ${hash}, '', ${req.preimage}, ${req.amountMsat}, 'open', false, now(), now() + interval '1 day')
        on conflict do nothing`;
    }
    return this.#send(hash, req.destination, req.amountMsat, req.maxFeeMsat, req.timeoutSeconds);
  }

  async #send(hash: string, destination: string, amountMsat: bigint, maxFeeMsat: bigint, timeoutSeconds: number): Promise<PaymentStatus> {
    this.#guard();
    const target = await this.#nodeNamed(destination);
    const feeMsat = fakeRoutingFeeMsat(amountMsat);
    const failure: PaymentFailureReason | null = !target || feeMsat > maxFeeMsat ? 'no_route' : (this.faults.failPayments ?? null);
    await this.faults.beforeSend?.(hash);
    // A hash already in flight or paid is reported, not paid again; a failed one may be retried.
    const row = await this.#sends.submit({
      hash, destination, target: target ?? null, amount: amountMsat.toString(), fee: feeMsat.toString(), failure, delay: this.faults.payDelayMs ?? 0,
    });
    if (target && row?.status !== 'failed') this.#announce(target);
    return row && row.status !== 'pending' ? toStatus(row) : this.#await(hash, timeoutSeconds, row);
  }

  /**
   * Sends that arrive together go in one statement (fake_ln_send for each), in invoice order so
   * that concurrent batches lock invoices in one order; a hash twice in a batch runs alone.
   */
  async #sendBatch(items: SendItem[]): Promise<Array<PaymentRow | undefined>> {
    distinctOrThrow(items.map((i) => i.hash));
    const ordered = [...items].sort((a, b) => `${a.target}/${a.hash}`.localeCompare(`${b.target}/${b.hash}`));
    const rows = await this.#sql<PaymentRow[]>`
      select f.* from rows from (jsonb_to_recordset(${this.#sql.json(ordered as never)})
          as (hash text, destination text, target text, amount int8, fee int8, failure text, delay int8)) with ordinality as i
        cross join lateral fake_ln_send(${this.name}, i.hash, i.destination, i.target, i.amount, i.fee, i.failure, i.delay) f
      order by i.ordinality`;
    const byHash = new Map(rows.map((r) => [r.payment_hash, r]));
    return items.map((i) => byHash.get(i.hash));
  }

  /** Polls the payment until it completes; `sent` is the row just written, if known. */
  async #await(hash: string, timeoutSeconds: number, sent?: PaymentRow): Promise<PaymentStatus> {
    const deadline = Date.now() + timeoutSeconds * 1000;
    for (let known = sent; ; known = undefined) {
      const p = (await this.#resolve(hash, known))!;
      if (p.status !== 'pending' || Date.now() >= deadline) return toStatus(p);
      const due = p.completes_at.getTime() - Date.now();
      await sleep(Math.min(deadline - Date.now(), due > 0 ? due : 50));
    }
  }

  /**
   * Completes an in-flight payment once it is due (fake_ln_resolve, migrations/0011): settles
   * the target invoice or fails. The first read takes no lock (payers poll this) and is
   * skipped when the caller just wrote the row.
   */
  async #resolve(hash: string, known?: PaymentRow): Promise<PaymentRow | undefined> {
    const [seen] = known ? [known] : await this.#sql<PaymentRow[]>`select * from fake_ln_payments where node = ${this.name} and payment_hash = ${hash}`;
    if (!seen || seen.status !== 'pending' || seen.completes_at.getTime() > Date.now()) return seen;
    const target = await this.#nodeNamed(seen.destination);
    const [resolved] = await this.#sql<PaymentRow[]>`select * from fake_ln_resolve(${this.name}, ${hash}, ${target ?? null})`;
    if (target && resolved?.status !== 'failed') this.#announce(target);
    return resolved;
  }

  async lookupPayment(paymentHash: string, sentSince?: Date): Promise<PaymentStatus> {
    this.#guard();
    const p = await this.#resolve(paymentHash);
    // created_at is when the node began its latest payment of the hash (fake_ln_send, 0023)
    const earlier = p?.status === 'failed' && sentSince && p.created_at < sentSince;
    return p && !earlier ? toStatus(p) : { status: 'unknown', paymentHash };
  }

  async lookupInvoice(paymentHash: string): Promise<Invoice | undefined> {
    this.#guard();
    const [row] = await this.#sql<InvoiceRow[]>`select * from fake_ln_invoices where node = ${this.name} and payment_hash = ${paymentHash}`;
    return row && toInvoice(row);
  }

  /**
   * Replays updates after the index, then follows NOTIFY (with a poll as a safety net). Index
   * 0 means "from now on", as on lnd: updates numbered before the first read are skipped.
   */
  subscribeInvoices(afterSettleIndex: bigint, onUpdate: (invoice: Invoice) => Promise<void>, onError: (err: Error) => void): Subscription {
    let cursor = afterSettleIndex > 0n ? afterSettleIndex : undefined;
    let closed = false;
    let running: Promise<void> | undefined;
    let again = false;
    // Runs in the background: nothing it raises, not even from onError, may go unhandled.
    const fail = (err: Error): void => {
      if (closed) return;
      sub.close();
      try {
        onError(err);
      } catch (thrown) {
        this.#log.error({ err: thrown }, 'invoice subscriber failed to handle an error');
      }
    };
    const pump = (): void => {
      if (running) { again = true; return; }
      running = (async () => {
        do {
          again = false;
          let after: bigint = cursor ?? (await this.#sql<{ last: bigint }[]>`
            select coalesce(max(update_index), 0)::int8 as last from fake_ln_invoices where node = ${this.name}`)[0]!.last;
          cursor = after;
          await this.#sequence();
          for (;;) {
            const rows = await this.#sql<InvoiceRow[]>`select * from fake_ln_invoices
              where node = ${this.name} and update_index > ${after} order by update_index limit 200`;
            for (const r of rows) {
              if (closed) return;
              await onUpdate(toInvoice(r));
              cursor = after = r.update_index!;
            }
            if (rows.length < 200) break;
          }
        } while (again && !closed);
      })().catch(fail).finally(() => { running = undefined; });
    };
    const listening = this.#sql.listen(CHANNEL, (node) => { if (node === this.name) pump(); }, pump);
    listening.catch(fail);
    const timer = setInterval(pump, 1000);
    const sub: Subscription = {
      close: () => {
        closed = true;
        clearInterval(timer);
        this.#subscriptions.delete(sub);
        void listening.then((l) => l.unlisten()).catch(() => {});
      },
    };
    this.#subscriptions.add(sub);
    return sub;
  }

  async getBalances(): Promise<Balances> {
    this.#guard();
    const [row] = await this.#sql<{ received: bigint; sent: bigint }[]>`
      select (select coalesce(sum(received_msat), 0)::int8 from fake_ln_invoices where node = ${this.name} and state = 'settled') as received,
             (select coalesce(sum(amount_msat + fee_msat), 0)::int8 from fake_ln_payments where node = ${this.name} and status = 'succeeded') as sent`;
    const net = row!.received - row!.sent - (this.faults.lostMsat ?? 0n);
    return { channelLocalMsat: CAPACITY_MSAT + net, channelRemoteMsat: CAPACITY_MSAT - net, onchainConfirmedSat: 0n };
  }

  /** Stops its subscriptions and sends the wake-ups still due (a short-lived `flash dev pay` exits right after). */
  async close(): Promise<void> {
    for (const s of [...this.#subscriptions]) s.close();
    await Promise.all(this.#notifying);
    this.#log.debug('fake node closed');
  }
}
