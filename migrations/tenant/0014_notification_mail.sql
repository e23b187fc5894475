-- Notification emails (issue 15): per-person, per-kind delivery preferences, the mail state of
-- each notice, and the record of due-tomorrow reminders already given.

ALTER TABLE notifications
    DROP CONSTRAINT notifications_kind_check,
    ADD CONSTRAINT notifications_kind_check CHECK (kind IN ('assigned', 'commented',
        'status_changed', 'mentioned', 'due_tomorrow', 'invited')),
    -- How the notice is to be mailed, decided from the recipient's preference when it is
    -- written (NULL: not mailed); `mail_after` is when the job may send it (now, or the end of
    -- the digest's hour or day). `mailed_at` is set once it was mailed or dropped at sending
    -- time (preference turned off, task no longer visible).
    ADD COLUMN mail text CHECK (mail IN ('immediately', 'hourly', 'daily')),
    ADD COLUMN mail_after timestamptz,
    ADD COLUMN mailed_at timestamptz,
    ADD CONSTRAINT notifications_mail_after CHECK ((mail IS NULL) = (mail_after IS NULL));
CREATE INDEX notifications_mail_pending_idx ON notifications (mail_after)
    WHERE mail IS NOT NULL AND mailed_at IS NULL;

-- Queues the workspace's mail job (control-plane migration 0025) in the notice's transaction.
CREATE TRIGGER notifications_mail_wake AFTER INSERT ON notifications
    FOR EACH ROW WHEN (NEW.mail IS NOT NULL)
    EXECUTE FUNCTION bastion_history.notification_mail_wake();

-- Only choices that differ from the defaults are stored (work::notification_mail::default_for).
-- A person's choice of what to be told, not a change of the work: no history.
CREATE TABLE notification_preferences (
    user_id uuid NOT NULL REFERENCES members (user_id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('assigned', 'commented', 'status_changed', 'mentioned',
        'due_tomorrow', 'invited')),
    delivery text NOT NULL CHECK (delivery IN ('off', 'immediately', 'hourly', 'daily')),
    PRIMARY KEY (user_id, kind)
);

-- One due-tomorrow reminder per task and due date: the reminder pass may run any number of
-- times, on any number of servers.
CREATE TABLE due_reminders (
    task_id uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    due_on date NOT NULL,
    reminded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (task_id, due_on)
);
