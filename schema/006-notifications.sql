-- Notification times are kept at millisecond precision, the precision of
-- the API's timestamps, so that a keyset cursor built from a returned
-- createdAt matches the stored value exactly.
ALTER TABLE notifications
	ALTER COLUMN created_at SET DEFAULT date_trunc('milliseconds', clock_timestamp());
UPDATE notifications SET created_at = date_trunc('milliseconds', created_at);
