-- Conversations, their members and their messages.  A private
-- conversation is a conversation of two people, created when they become
-- friends.  Group conversations have an optional name and up to 50
-- members.

CREATE TABLE chat_groups (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	-- The two people of a private conversation, lower id first; NULL for
	-- a group.  One private conversation per pair, kept across unfriending.
	private_low uuid REFERENCES profiles (id) ON DELETE CASCADE,
	private_high uuid REFERENCES profiles (id) ON DELETE CASCADE,
	name text CHECK (length(name) BETWEEN 1 AND 64),
	created_by uuid REFERENCES profiles (id) ON DELETE SET NULL,
	created_at timestamptz NOT NULL
		DEFAULT date_trunc('milliseconds', clock_timestamp()),
	-- Number and time of the latest message sent, deleted ones included
	-- (messages are numbered from 1), so the next message's time can be
	-- kept strictly later.  last_message_id is the latest one remaining.
	message_seq bigint NOT NULL DEFAULT 0,
	last_message_id uuid,
	last_message_at timestamptz,
	UNIQUE (private_low, private_high),
	CHECK ((private_low IS NULL) = (private_high IS NULL)),
	CHECK (private_low < private_high),
	CHECK (private_low IS NULL OR name IS NULL)
);

CREATE TABLE chat_members (
	chat_group_id uuid NOT NULL REFERENCES chat_groups (id) ON DELETE CASCADE,
	profile_id uuid NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
	joined_at timestamptz NOT NULL
		DEFAULT date_trunc('milliseconds', clock_timestamp()),
	-- Read marker: the number, id and reading time of the latest message
	-- read.  It only moves forward.
	read_seq bigint NOT NULL DEFAULT 0,
	read_message_id uuid,
	read_at timestamptz,
	-- Messages of others after the read marker, kept by every write so
	-- that counting never scans messages.
	unread_count integer NOT NULL DEFAULT 0 CHECK (unread_count >= 0),
	-- Time of the conversation's latest message (NULL while it has none),
	-- copied here so a person's conversation list is one index scan.
	last_message_at timestamptz,
	PRIMARY KEY (chat_group_id, profile_id)
);

CREATE INDEX chat_members_activity_idx
	ON chat_members (profile_id, last_message_at DESC, chat_group_id DESC)
	WHERE last_message_at IS NOT NULL;
CREATE INDEX chat_members_unread_idx
	ON chat_members (profile_id) WHERE unread_count > 0;

CREATE TABLE chat_messages (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	chat_group_id uuid NOT NULL REFERENCES chat_groups (id) ON DELETE CASCADE,
	seq bigint NOT NULL,
	profile_id uuid NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
	content text NOT NULL CHECK (length(content) BETWEEN 1 AND 4096),
	created_at timestamptz NOT NULL,
	edited_at timestamptz,
	UNIQUE (chat_group_id, seq),
	CHECK (created_at = date_trunc('milliseconds', created_at))
);

-- History pages; created_at is strictly increasing within a conversation.
CREATE INDEX chat_messages_history_idx
	ON chat_messages (chat_group_id, created_at DESC, id DESC);
CREATE INDEX chat_messages_profile_idx ON chat_messages (profile_id);

-- Store a message of p_sender in conversation p_group and move the
-- members' counters in one call, so that sending costs one round trip.
-- The message gets the next number and a time strictly later than the
-- previous one, so history order by time is the numbering order.  Others
-- get one more unread message, and the sender has read up to it.
-- Returns the message's id and time and the ids of every member.
CREATE FUNCTION chat_send_message(p_group uuid, p_sender uuid, p_content text)
RETURNS TABLE (message_id uuid, created_at timestamptz, member_ids uuid[])
LANGUAGE plpgsql AS $$
DECLARE
	msg_id uuid;
	msg_seq bigint;
	msg_at timestamptz;
	members uuid[];
BEGIN
	UPDATE chat_groups g SET message_seq = g.message_seq + 1,
		last_message_id = gen_random_uuid(),
		last_message_at = greatest(date_trunc('milliseconds', clock_timestamp()),
			g.last_message_at + interval '1 millisecond')
	WHERE g.id = p_group
	RETURNING g.last_message_id, g.message_seq, g.last_message_at
	INTO msg_id, msg_seq, msg_at;
	IF NOT FOUND THEN
		RETURN;
	END IF;
	INSERT INTO chat_messages (id, chat_group_id, seq, profile_id, content, created_at)
	VALUES (msg_id, p_group, msg_seq, p_sender, p_content, msg_at);
	WITH m AS (
		UPDATE chat_members cm SET last_message_at = msg_at,
			unread_count = CASE WHEN cm.profile_id = p_sender THEN 0
				ELSE cm.unread_count + 1 END,
			read_seq = CASE WHEN cm.profile_id = p_sender THEN msg_seq
				ELSE cm.read_seq END,
			read_message_id = CASE WHEN cm.profile_id = p_sender THEN msg_id
				ELSE cm.read_message_id END,
			read_at = CASE WHEN cm.profile_id = p_sender THEN msg_at
				ELSE cm.read_at END
		WHERE cm.chat_group_id = p_group
		RETURNING cm.profile_id)
	SELECT array_agg(m.profile_id) INTO members FROM m;
	RETURN QUERY SELECT msg_id, msg_at, members;
END
$$;
