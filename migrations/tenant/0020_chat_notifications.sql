-- Chat notifications and imports (issue 18). Chat notifications: a workspace's admins send chosen events of chosen projects to a
-- Slack or Microsoft Teams channel (their incoming-webhook address is the integration's token)
-- or a Matrix room (the integration's token is the access token; the homeserver and the room
-- are stated here). One delivery per event and rule is recorded by a trigger in the
-- transaction of the change, as for webhooks; the `chat` job renders and sends it
-- (`secrets::chat`). Private tasks are never announced. The functions are shared by every
-- workspace (control-plane migration 0030).

ALTER TABLE integrations
    DROP CONSTRAINT integrations_kind_check,
    ADD CONSTRAINT integrations_kind_check
        CHECK (kind IN ('github', 'gitlab', 'slack', 'webhook', 'jira', 'teams', 'matrix'));

ALTER TABLE history
    DROP CONSTRAINT history_entity_type_check,
    ADD CONSTRAINT history_entity_type_check CHECK (entity_type IN
        ('task', 'comment', 'time_entry', 'attachment', 'tag', 'workspace', 'webhook_endpoint',
         'checklist_item', 'task_relation', 'task_recurrence', 'custom_field', 'field_value',
         'chat_notification', 'import'));

CREATE TABLE chat_notifications (
    id uuid PRIMARY KEY,
    integration_id uuid NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    -- NULL: every project.
    project_id uuid REFERENCES projects (id) ON DELETE CASCADE,
    events text[] NOT NULL CHECK (cardinality(events) >= 1 AND events <@
        ARRAY['task_created', 'task_status', 'task_assigned', 'comment_created']),
    -- The language of the messages (the channel's readers', not the sender's).
    language text NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'nl-BE', 'fr-BE', 'de-BE')),
    -- Matrix only: where the room lives, and which room.
    matrix_homeserver text CHECK (char_length(matrix_homeserver) <= 2000),
    matrix_room text CHECK (char_length(matrix_room) <= 255),
    enabled boolean NOT NULL DEFAULT true,
    disabled_reason text CHECK (char_length(disabled_reason) <= 500),
    created_by uuid,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE chat_deliveries (
    id uuid PRIMARY KEY,
    chat_id uuid NOT NULL REFERENCES chat_notifications (id) ON DELETE CASCADE,
    -- One of the rule's events, or `test` (an admin's test message).
    kind text NOT NULL,
    -- What happened, by reference: the message is written when it is sent, from the task as
    -- it is then, so no title waits here.
    task_id uuid,
    actor text,
    -- The new status, or the new assignee's id.
    detail text,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz,
    claimed_until timestamptz,
    last_http_status integer,
    last_error text CHECK (char_length(last_error) <= 500),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX chat_deliveries_due ON chat_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX chat_deliveries_chat ON chat_deliveries (chat_id, created_at DESC);

CREATE TRIGGER chat_deliveries_wake AFTER INSERT ON chat_deliveries
    FOR EACH STATEMENT EXECUTE FUNCTION bastion_history.chat_wake();
CREATE TRIGGER history_chat AFTER INSERT ON history
    FOR EACH ROW EXECUTE FUNCTION bastion_history.chat_history_change();
CREATE TRIGGER chat_notifications_history AFTER INSERT OR UPDATE OR DELETE ON chat_notifications
    FOR EACH ROW EXECUTE FUNCTION bastion_history.chat_notification_change();

-- Imports (`work::import`): one row per file brought into a project, so the same file is not
-- imported twice, and an event of the workspace's history (who imported how many rows, when).
CREATE TABLE imports (
    id uuid PRIMARY KEY,
    project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    -- Of the file's bytes, hex.
    sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    kind text NOT NULL CHECK (kind IN ('csv', 'trello')),
    rows integer NOT NULL CHECK (rows >= 0),
    created_by uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (project_id, sha256)
);
CREATE TRIGGER imports_history AFTER INSERT ON imports
    FOR EACH ROW EXECUTE FUNCTION bastion_history.import_change();
