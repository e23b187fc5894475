-- Live updates (issue 15): the durable record behind `GET …/events` (control-plane migration
-- 0024 holds the shared functions that write it). One row per change a page shows live, ids
-- only, written by triggers in the change's own transaction; `seq` is the stream's event id,
-- increasing in commit order within the workspace. A reconnecting client replays from here,
-- and so does a server whose LISTEN connection was lost. Kept a day (`live::purge_all`, run with
-- the audit purge), always keeping the newest row so that a gap can be told from a quiet day.
CREATE SEQUENCE live_events_seq;

CREATE TABLE live_events (
    seq bigint PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    kind text NOT NULL CHECK (kind IN ('task.created', 'task.updated', 'task.moved',
        'task.deleted', 'comment.created', 'comment.updated', 'comment.deleted',
        'notification.created', 'notification.read', 'member.added', 'member.updated',
        'member.removed')),
    entity_id uuid NOT NULL,
    -- The task the event is about: who hears of it is decided by the visibility predicate
    -- over this task, as it is when the event is sent.
    task_id uuid,
    -- For a deleted task only: whether it was private, which decides who hears of its deletion.
    task_private boolean,
    -- For notices: the one person who hears of it.
    recipient_id uuid
);
CREATE INDEX live_events_at_idx ON live_events (at);

-- Written only by the owner-run triggers: the workspace role reads, nothing more.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON live_events FROM {{tenant_role}};
REVOKE ALL ON SEQUENCE live_events_seq FROM {{tenant_role}};

CREATE TRIGGER history_live AFTER INSERT ON history
    FOR EACH ROW EXECUTE FUNCTION bastion_history.live_history_change();
CREATE TRIGGER notifications_live AFTER INSERT OR UPDATE OF read_at ON notifications
    FOR EACH ROW EXECUTE FUNCTION bastion_history.live_notification_change();
CREATE TRIGGER members_live AFTER INSERT OR UPDATE OR DELETE ON members
    FOR EACH ROW EXECUTE FUNCTION bastion_history.live_member_change();
