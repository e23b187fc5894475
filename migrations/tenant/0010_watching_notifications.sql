-- Watching and the in-app inbox (issue 15). Watchers are the people told about a task's
-- comments and status changes: its creator, assignee, commenters and the people mentioned in
-- its comments start watching on their own, and anyone who sees a task may watch or unwatch
-- it. An unwatch is remembered (`task_unwatched`), so commenting again or being mentioned does
-- not sign the person up behind their back; watching again clears it.
--
-- Watch changes are events of the task's history, through the shared link trigger of
-- control-plane migration 0014 (`watcher_added`, `watcher_removed`), like viewers and tags.

ALTER TABLE history
    DROP CONSTRAINT history_action_check,
    ADD CONSTRAINT history_action_check CHECK (action IN ('created', 'updated', 'deleted',
        'tag_added', 'tag_removed', 'viewer_added', 'viewer_removed', 'watcher_added',
        'watcher_removed'));

CREATE TABLE task_watchers (
    task_id uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES members (user_id) ON DELETE CASCADE,
    added_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (task_id, user_id)
);
CREATE INDEX task_watchers_user_idx ON task_watchers (user_id);

CREATE TABLE task_unwatched (
    task_id uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES members (user_id) ON DELETE CASCADE,
    PRIMARY KEY (task_id, user_id)
);

CREATE TRIGGER task_watchers_history AFTER INSERT OR DELETE ON task_watchers
    FOR EACH ROW EXECUTE FUNCTION bastion_history.link_change('watcher', 'user_id');

-- One row per person told, written in the transaction of the change that caused it. What the
-- reader may see is decided again when the inbox is read (the task's visibility predicate, for
-- the reader as they are then), so a notice about a task someone can no longer see is hidden,
-- not leaked. Notices are derived from changes that are already on record, so they are not
-- history themselves; reading one changes only its `read_at`.
CREATE TABLE notifications (
    id uuid PRIMARY KEY,
    recipient_id uuid NOT NULL REFERENCES members (user_id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('assigned', 'commented', 'status_changed', 'mentioned')),
    task_id uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    comment_id uuid REFERENCES comments (id) ON DELETE CASCADE,
    actor_id uuid NOT NULL,
    -- status_changed: the new status.
    detail text CHECK (char_length(detail) <= 50),
    created_at timestamptz NOT NULL DEFAULT now(),
    read_at timestamptz
);
CREATE INDEX notifications_inbox_idx ON notifications (recipient_id, created_at DESC, id);
CREATE INDEX notifications_unread_idx ON notifications (recipient_id) WHERE read_at IS NULL;
CREATE INDEX notifications_task_idx ON notifications (task_id);
CREATE INDEX notifications_comment_idx ON notifications (comment_id) WHERE comment_id IS NOT NULL;
