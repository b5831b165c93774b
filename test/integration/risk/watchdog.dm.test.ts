// The solvency watchdog and operator alerts end to end: the fake node loses channel funds
// (fault injection), the check pauses payments on every rail and the operator's NIP-17 DM
// arrives; the operator answers by DM (freeze), users get refusals in their language, and
// payments go again after `resume`.
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { npubEncode } from 'nostr-tools/nip19';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { balance } from '../../../core/ledger/ledger.ts';
import { metrics } from '../../../core/metrics.ts';
import { payInvoice } from '../../../core/lightning/pay.ts';
import * as accounts from '../../../core/ledger/accounts.ts';
import { auditLog } from '../../../core/risk/audit.ts';
import { lastReport } from '../../../core/risk/solvency.ts';
import { resume, riskState } from '../../../core/risk/state.ts';
import { DmUser, startDmService, type DmService } from '../../support/dm.ts';
import { fund, newKey } from '../../support/wallet.ts';

const operatorKey = generateSecretKey();
let svc: DmService;
beforeAll(async () => { svc = await startDmService({ OPERATOR_NPUBS: npubEncode(getPublicKey(operatorKey)), RISK_WATCH_INTERVAL_SECONDS: '0' }); });
afterAll(async () => svc?.close());

const alertsSent = async () => (await metrics.riskAlerts.get()).values.filter((v) => v.labels.outcome === 'sent').reduce((s, v) => s + v.value, 0);

it('a shortfall pauses every rail and DMs the operator once; resume after the fix', async () => {
  const w = svc.wallet;
  const operator = await DmUser.open(svc.relay.url, svc.botPubkey, operatorKey);
  const a = await w.user(50_000n);
  expect(await w.ctx.bus.call('risk.solvency', {}, { id: newKey(), timeoutMs: 10_000 })).toEqual({ deficitMsat: expect.any(BigInt), paused: false });

  w.node.faults.lostMsat = 1_000_000_000_000n;
  expect(await w.ctx.bus.call('risk.solvency', {}, { id: newKey(), timeoutMs: 10_000 })).toMatchObject({ paused: true });
  const report = (await lastReport(w.ctx.sql))!;
  expect(report.liabilities.holdersMsat).toBeGreaterThanOrEqual(50_000n);
  expect(report.deficitMsat).toBe(report.liabilities.totalMsat - report.assetsMsat);
  expect((await riskState(w.ctx.sql)).pausedBy).toBe('watchdog');
  const alert = await operator.waitFor(/Solvency watchdog: assets short/);
  expect(alert.scheme).toBe('nip17');
  // Checked again within the hour: the same incident, no second DM.
  await w.ctx.bus.call('risk.solvency', {}, { id: newKey(), timeoutMs: 10_000 });
  const sent = await alertsSent();
  expect(sent).toBe(1);
  await expect(payInvoice(w.ctx, { accountId: a, paymentRequest: await w.externalInvoice(1000n), idempotencyKey: newKey() }))
    .rejects.toMatchObject({ code: 'payments_paused' });
  expect(await balance(w.ctx.sql, a)).toBe(50_000n);

  w.node.faults.lostMsat = 0n;
  await resume(w.ctx.sql, { who: 'cli:test', via: 'cli' }, 'channel restored');
  expect((await payInvoice(w.ctx, { accountId: a, paymentRequest: await w.externalInvoice(1000n), idempotencyKey: newKey(), waitMs: 5000 })).status).toBe('succeeded');
  operator.close();
});

it('an operator freezes by DM; the user is refused in their language; others cannot', async () => {
  const w = svc.wallet;
  const operator = await DmUser.open(svc.relay.url, svc.botPubkey, operatorKey);
  const user = await svc.user();
  const account = await accounts.forPubkey(w.ctx.sql, user.pk);
  await fund(w.ctx.sql, account.id, 100_000n);
  // A stranger's "freeze" is an ordinary (unknown) wallet command.
  const stranger = await svc.user();
  expect(await stranger.ask(`freeze ${npubEncode(user.pk)}`, 'nip17')).not.toMatch(/frozen/);

  expect(await operator.ask(`freeze ${npubEncode(user.pk)} reported stolen`, 'nip17')).toMatch(/frozen: it can receive but not send/);
  expect(await user.ask(`pay ${await w.externalInvoice(1000n)}`, 'nip17')).toMatch(/Your account is frozen: it can receive but not send \(reported stolen\)/);
  await user.ask('lang es', 'nip17');
  expect(await user.ask(`pay ${await w.externalInvoice(1000n)}`, 'nip17')).toMatch(/Tu cuenta está congelada/);
  expect((await auditLog(w.ctx.sql, 1))[0]).toMatchObject({ actor: npubEncode(operator.pk), via: 'dm', action: 'account.freeze', subject: account.id, reason: 'reported stolen' });
  expect(await operator.ask(`unfreeze ${account.id}`, 'nip04')).toMatch(/unfrozen/);
  expect(await user.ask(`pay ${await w.externalInvoice(1000n)}`, 'nip17')).toMatch(/✅|Pagado|Pagaste|enviado/i);
  operator.close();
});
