-- The relay's event store. Shaped by its queries (see docs/architecture.md, Relay):
-- id lookups, authors+kinds, kinds, time ranges, single-letter tag lookups, replaceable keys.
create table relay_events (
  id bytea primary key,              -- 32-byte event id
  pubkey bytea not null,             -- 32-byte author
  created_at bigint not null,
  kind int not null,
  d text,                            -- replace key: '' for replaceable kinds, the d tag for addressable, null otherwise
  expires_at bigint,                 -- NIP-40 expiration, unix seconds
  search tsvector,                   -- NIP-50: to_tsvector('simple', content) of searchable kinds, null otherwise
  raw text not null                  -- the canonical event JSON, sent to readers as is
);
create index relay_events_created on relay_events (created_at desc, id);
create index relay_events_kind on relay_events (kind, created_at desc, id);
create index relay_events_author_kind on relay_events (pubkey, kind, created_at desc, id);
-- One current event per replaceable/addressable key; writers serialize on an advisory lock.
create unique index relay_events_replace_key on relay_events (pubkey, kind, d) where d is not null;
create index relay_events_expires on relay_events (expires_at) where expires_at is not null;
create index relay_events_search on relay_events using gin (search) where search is not null;

-- Single-letter tags, one row per distinct (event, name, value): `#x` filters scan
-- (name, value) newest first and join the event by id.
create table relay_tags (
  event_id bytea not null,
  name text not null,                -- one letter; text (not char) so that text parameters use the index
  value text not null,
  kind int not null,
  created_at bigint not null
);
create index relay_tags_lookup on relay_tags (name, value, created_at desc, event_id);
create index relay_tags_event on relay_tags (event_id);

-- NIP-62: pubkeys that asked to vanish, and up to when; their older events are refused.
create table relay_vanished (
  pubkey bytea primary key,
  until bigint not null,
  requested_at timestamptz not null default now()
);

-- NIP-86 managed lists: list is one of ban_pubkey, allow_pubkey, ban_event, allow_kind,
-- deny_kind, block_ip.
create table relay_lists (
  list text not null,
  value text not null,
  reason text,
  created_at timestamptz not null default now(),
  primary key (list, value)
);

-- NIP-86 overrides of the NIP-11 document (name, description, icon).
create table relay_settings (
  name text primary key,
  value text not null
);

-- Replaces the event at (pubkey, kind, d) when the new one is newer (ties: lower id wins).
-- Serialized per key with a transaction-scoped advisory lock, so two writers on any
-- number of relay processes cannot both win. Returns 'stored', 'duplicate' or 'superseded'.
create function relay_put_replaceable(
  p_id bytea, p_pubkey bytea, p_created_at bigint, p_kind int, p_d text, p_expires_at bigint,
  p_search text, p_raw text, p_tag_names text[], p_tag_values text[]
) returns text language plpgsql as $$
declare
  cur record;
begin
  perform pg_advisory_xact_lock(hashtextextended(encode(p_pubkey, 'hex') || ':' || p_kind || ':' || p_d, 0));
  select id, created_at into cur from relay_events where pubkey = p_pubkey and kind = p_kind and d = p_d;
  if found then
    if cur.id = p_id then return 'duplicate'; end if;
    if cur.created_at > p_created_at or (cur.created_at = p_created_at and cur.id < p_id) then
      return 'superseded';
    end if;
    delete from relay_tags where event_id = cur.id;
    delete from relay_events where id = cur.id;
  end if;
  insert into relay_events (id, pubkey, created_at, kind, d, expires_at, search, raw)
    values (p_id, p_pubkey, p_created_at, p_kind, p_d, p_expires_at, to_tsvector('simple', p_search), p_raw)
    on conflict (id) do nothing;
  if not found then return 'duplicate'; end if;
  insert into relay_tags (event_id, name, value, kind, created_at)
    select p_id, n, v, p_kind, p_created_at from unnest(p_tag_names, p_tag_values) as t(n, v);
  return 'stored';
end $$;
