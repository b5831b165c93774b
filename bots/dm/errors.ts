// The one place where a refusal becomes the user's words: every domain error a command can
// meet (payments, routing, LNURL, zaps, usernames). What is not the user's doing is rethrown,
// and the inbox answers it with `error.internal` after logging it.
import { UsernameError } from '../../core/addresses/usernames.ts';
import { balance } from '../../core/ledger/ledger.ts';
import { LnurlError } from '../../core/lnurl.ts';
import { PaymentError } from '../../core/payments/errors.ts';
import { RiskRefusal } from '../../core/risk/refusals.ts';
import { RouteError } from '../../core/routing/errors.ts';
import { ZapError } from '../../core/zaps/errors.ts';
import { USERNAME } from './commands.ts';
import { t } from './i18n/index.ts';
import type { DmDeps, Session } from './session.ts';

/** What the reply may name: the recipient as shown, amounts, the invoice's network. */
export interface Refused {
  to?: string;
  /** What the payment needs in all (amount + fee reserve), for "not enough funds". */
  neededMsat?: bigint;
  invoiceMsat?: bigint;
  network?: string;
  /** LNURL errors while finding the recipient mean "nobody answers"; later, "no valid invoice". */
  stage?: 'route' | 'pay';
  username?: string;
}

export async function errorText(d: DmDeps, s: Session, err: unknown, about: Refused = {}): Promise<string> {
  const to = about.to ?? '';
  if (err instanceof RiskRefusal) {
    const f = err.facts;
    if (err.code !== 'limit_exceeded') return t(s.lang, `error.risk.${err.code as 'account_frozen' | 'payments_paused'}`, { reason: f.reason });
    if (f.limit === 'payment') return t(s.lang, 'error.risk.payment', { limitMsat: f.limitMsat! });
    if (f.limit === 'balance') return t(s.lang, 'error.risk.balance', { limitMsat: f.limitMsat!, leftMsat: f.leftMsat! });
    return t(s.lang, 'error.risk.daily', { rail: f.rail!, limitMsat: f.limitMsat!, leftMsat: f.leftMsat!, resetsAt: f.resetsAt && f.resetsAt.getTime() / 1000 });
  }
  if (err instanceof PaymentError) {
    switch (err.code) {
      case 'insufficient_balance':
        return t(s.lang, 'error.insufficient-balance', { balanceMsat: await balance(d.ctx.sql, s.accountId), neededMsat: about.neededMsat ?? 0n });
      case 'amount_out_of_range': return t(s.lang, 'error.payment.amount_out_of_range', { maxMsat: d.ctx.config.PAYMENT_MAX_MSAT });
      case 'amount_mismatch': return t(s.lang, 'error.payment.amount_mismatch', { invoiceMsat: about.invoiceMsat ?? 0n });
      case 'wrong_network': return t(s.lang, 'error.payment.wrong_network', { network: about.network ?? '?', ours: d.ctx.config.NETWORK });
      case 'invalid_invoice': case 'expired': case 'amount_required': case 'already_paid': case 'self_payment': case 'unavailable': case 'not_supported': case 'account_held':
        return t(s.lang, `error.payment.${err.code}`);
      // Ours to get right, not the user's doing.
      case 'invalid_request': case 'not_found': case 'idempotency_conflict':
        throw err;
    }
  }
  if (err instanceof LnurlError) return about.stage === 'route' ? t(s.lang, 'send.not-found', { address: to }) : t(s.lang, 'send.lnurl-failed', { address: to });
  if (err instanceof RouteError) {
    return err.code === 'not_supported' ? t(s.lang, 'error.recipient.not-supported', { to }) : t(s.lang, 'send.not-found', { address: to });
  }
  if (err instanceof ZapError) {
    if (err.code === 'self_zap') return t(s.lang, 'error.payment.self_payment');
    if (err.code === 'event_not_found') return t(s.lang, 'zap.not-found', { target: to });
    if (err.code === 'invalid_target') return t(s.lang, 'error.target', { input: to });
  }
  if (err instanceof UsernameError) {
    if (err.code === 'invalid') return t(s.lang, 'error.username', USERNAME);
    return t(s.lang, err.code === 'taken' ? 'username.taken' : 'username.reserved', { name: about.username ?? '' });
  }
  throw err;
}
