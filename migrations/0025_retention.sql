-- Indexes for the hourly pruning of rows that only guard against repeats (core/retention.ts).
create index nwc_requests_created_at on nwc_requests (created_at) where transaction_id is null;
create index dm_messages_received_at on dm_messages (received_at);
create index dm_notices_sent_at on dm_notices (sent_at);
