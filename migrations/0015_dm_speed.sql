-- Gift-wrapped DMs are 2–4 KB of base64, just over the 2 KB at which PostgreSQL tries to
-- compress a row and move its text to the TOAST table. Random base64 does not compress, so
-- that was wasted work on every write (and an extra fetch on every read): keep rows of up
-- to a page inline. Applies to rows written from now on.
alter table relay_events set (toast_tuple_target = 8160);
