-- Notifications that gather into one per recipient, key and clock hour
-- (NEW_LIKE per liked item) name their group here, so the notification
-- code finds the group without knowing the shape of any payload.
ALTER TABLE notifications ADD COLUMN group_key text;

UPDATE notifications
	SET group_key = 'like:' || coalesce(payload->>'commentId', payload->>'postId')
	WHERE event = 'NEW_LIKE';

DROP INDEX notifications_like_group_idx;

CREATE INDEX notifications_group_idx
	ON notifications (profile_id, group_key, created_at)
	WHERE group_key IS NOT NULL;
