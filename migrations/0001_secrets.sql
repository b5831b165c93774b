-- Named service secrets (bot keys, node keys…), sealed by core/secrets with the master key.
create table secrets (
  name text primary key,
  sealed text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
