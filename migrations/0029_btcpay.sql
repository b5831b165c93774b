-- BTCPay Server stores linked to business accounts (core/btcpay): the link with its sealed API
-- key and webhook secret, each webhook delivery received (deduplicated on BTCPay's original
-- delivery id), the reward rule of a business, one reward per settled invoice, and the
-- payouts paid for a store.

create table btcpay_links (
  id uuid primary key default gen_random_uuid(),
  business_account_id uuid not null references accounts (id),
  url text not null,
  store_id text not null,
  -- Both sealed with the master key (purposes btcpay:<id>:api-key and btcpay:<id>:webhook-secret).
  api_key text not null,
  webhook_id text not null,
  webhook_secret text not null,
  created_at timestamptz not null default now(),
  unique (url, store_id)
);

create table btcpay_deliveries (
  link_id uuid not null references btcpay_links (id),
  original_delivery_id text not null,
  delivery_id text not null,
  type text not null,
  body jsonb not null,
  received_at timestamptz not null default now(),
  processed_at timestamptz,
  primary key (link_id, original_delivery_id)
);

create table btcpay_reward_rules (
  business_account_id uuid primary key references accounts (id),
  -- Hundredths of a percent: 200 = 2 %.
  basis_points int not null check (basis_points between 1 and 10000),
  max_msat int8 not null check (max_msat > 0),
  updated_at timestamptz not null default now()
);

create table btcpay_rewards (
  link_id uuid not null references btcpay_links (id),
  invoice_id text not null,
  buyer text,
  amount_msat int8 not null check (amount_msat > 0),
  -- paid: sent to the buyer; pull_payment: left claimable on the store; pending: in flight; failed.
  status text not null check (status in ('pending', 'paid', 'pull_payment', 'failed')),
  transaction_id uuid,
  pull_payment_id text,
  claim_link text,
  reason text,
  created_at timestamptz not null default now(),
  primary key (link_id, invoice_id)
);

-- One row per payout Flash pays for a store; `attempt` names the payment's idempotency key, so a
-- failed payment is tried again under a new key and a repeated run pays nothing twice.
create table btcpay_payouts (
  link_id uuid not null references btcpay_links (id),
  payout_id text not null,
  attempt int not null default 1,
  -- paying: a payment under `attempt` may exist; paid: it succeeded; marked: BTCPay knows.
  status text not null default 'paying' check (status in ('paying', 'paid', 'marked')),
  transaction_id uuid,
  updated_at timestamptz not null default now(),
  primary key (link_id, payout_id)
);
