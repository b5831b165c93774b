// Cuts BTCPay's Greenfield OpenAPI document (MIT, see test/sims/btcpay/NOTICE) down to the
// operations Flash uses and the schemas they reach, for the stand-in's validation and for
// core/btcpay/greenfield.d.ts. The full document has unresolvable references elsewhere.
//   node scripts/btcpay-openapi.mjs <greenfield-openapi.json>
//   npm exec --package=openapi-typescript@7 -- openapi-typescript test/sims/btcpay/greenfield-openapi.json -o core/btcpay/greenfield.d.ts
import { readFileSync, writeFileSync } from 'node:fs';

const paths = [
  '/api/v1/api-keys/current', '/api/v1/stores/{storeId}',
  '/api/v1/stores/{storeId}/webhooks', '/api/v1/webhooks/{webhookId}',
  '/api/v1/stores/{storeId}/invoices', '/api/v1/invoices/{invoiceId}',
  '/api/v1/stores/{storeId}/pull-payments', '/api/v1/pull-payments/{pullPaymentId}', '/api/v1/pull-payments/{pullPaymentId}/lnurl',
  '/api/v1/pull-payments/{pullPaymentId}/payouts',
  '/api/v1/stores/{storeId}/payouts', '/api/v1/payouts/{payoutId}', '/api/v1/payouts/{payoutId}/mark-paid', '/api/v1/payouts/{payoutId}/mark',
];
const webhooks = ['InvoiceSettled', 'PayoutApproved'];

const doc = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const out = {
  openapi: doc.openapi, info: { ...doc.info, description: 'A part of BTCPay Server\'s Greenfield API document (MIT licence).' },
  paths: Object.fromEntries(paths.map((p) => [p, doc.paths[p]])),
  'x-webhooks': Object.fromEntries(webhooks.map((w) => [w, doc['x-webhooks'][w]])),
  components: { securitySchemes: doc.components.securitySchemes, parameters: {}, schemas: {} },
};
// Every component reachable from what is kept, transitively.
const seen = new Set();
const walk = (node) => {
  if (Array.isArray(node)) return node.forEach(walk);
  if (!node || typeof node !== 'object') return;
  for (const [k, v] of Object.entries(node)) {
    if (k === '$ref' && typeof v === 'string' && !seen.has(v)) {
      seen.add(v);
      const [, , section, name] = v.split('/');
      const target = doc.components[section]?.[name];
      if (!target) throw new Error(`unresolvable ${v}`);
      out.components[section][name] = target;
      walk(target);
    } else walk(v);
  }
};
walk(out.paths);
walk(out['x-webhooks']);
writeFileSync('test/sims/btcpay/greenfield-openapi.json', `${JSON.stringify(out, null, 1)}\n`);
