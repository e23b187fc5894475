-- Notification emails (issue 15). A notice that is to be mailed (tenant migration 0014: its
-- `mail` delivery and `mail_after`, decided from the recipient's preference when it is written)
-- queues the workspace's `notification_mail` job in the same transaction, so a rolled-back change
-- mails nobody. The job re-checks visibility and the preference, writes the messages into the
-- outbox and marks the notices mailed.
ALTER TABLE jobs
    DROP CONSTRAINT jobs_kind_check,
    ADD CONSTRAINT jobs_kind_check CHECK (kind IN ('export', 'webhooks', 'notification_mail'));

-- At most one waiting mail job per workspace; its `run_after` is the earliest any notice asked
-- for (now for an immediate message, the end of the hour or the day for a digest).
CREATE UNIQUE INDEX jobs_one_waiting_notification_mail ON jobs (workspace_id)
    WHERE kind = 'notification_mail' AND state = 'queued';

-- RFC 8058 one-click unsubscribe: the address goes into the `List-Unsubscribe` header. It holds
-- a token that turns a kind of email off, so it is sealed under the master key ring like the
-- body, and emptied with it once sent.
ALTER TABLE outbox ADD COLUMN unsubscribe text;

SET LOCAL ROLE bastion_tenant_owner;

-- Fired by a notice to be mailed; queues the workspace's mail job for the notice's time. The
-- workspace role cannot reach the control plane; this owner-run trigger can, for the workspace
-- whose table fired it only (as `webhook_wake`).
CREATE FUNCTION bastion_history.notification_mail_wake_event(p_schema text, p_at timestamptz)
RETURNS void
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO public.jobs AS j (id, kind, workspace_id, run_after)
    VALUES (gen_random_uuid(), 'notification_mail', substr(p_schema, 4)::uuid, p_at)
    ON CONFLICT (workspace_id) WHERE kind = 'notification_mail' AND state = 'queued'
    DO UPDATE SET run_after = least(j.run_after, excluded.run_after)
$$;

CREATE FUNCTION bastion_history.notification_mail_wake() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM bastion_history.notification_mail_wake_event(TG_TABLE_SCHEMA, NEW.mail_after);
    RETURN NULL;
END
$$;

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA bastion_history FROM PUBLIC;
RESET ROLE;
