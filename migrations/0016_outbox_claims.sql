-- The outbox publisher (core/events.ts) claims unpublished events for a while instead of
-- holding their rows locked in a transaction while it writes them to Redis: a claim and a
-- "published" mark are two round trips, where BEGIN, SELECT … FOR UPDATE, UPDATE and COMMIT
-- were four, and every payment and transfer flushes. A publisher that dies after claiming
-- leaves the events to whoever flushes after the claim ends.
alter table event_outbox add column claimed_until timestamptz;
