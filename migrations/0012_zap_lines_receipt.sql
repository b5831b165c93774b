-- A zap batch line's receipt is read from zap_receipt_deliveries (the receipt may be published
-- before the line's payment is written), so the line's own flag was never set: drop it.
alter table zap_batch_lines drop column receipt_seen;
