-- Chat notifications and imports (issue 18; tenant migration 0020). A delivery recorded in a workspace
-- queues the workspace's `chat` job in the same transaction, so a rolled-back change tells no
-- channel. The functions take the workspace's schema as data and run as the tenant owner with
-- a search path of pg_catalog alone, like the webhook functions (0015).
ALTER TABLE jobs
    DROP CONSTRAINT jobs_kind_check,
    ADD CONSTRAINT jobs_kind_check
        CHECK (kind IN ('export', 'webhooks', 'notification_mail', 'chat'));

CREATE UNIQUE INDEX jobs_one_waiting_chat ON jobs (workspace_id)
    WHERE kind = 'chat' AND state = 'queued';

SET LOCAL ROLE bastion_tenant_owner;

CREATE FUNCTION bastion_history.chat_wake() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO public.jobs AS j (id, kind, workspace_id, run_after)
    VALUES (gen_random_uuid(), 'chat', substr(TG_TABLE_SCHEMA, 4)::uuid, now())
    ON CONFLICT (workspace_id) WHERE kind = 'chat' AND state = 'queued'
    DO UPDATE SET run_after = least(j.run_after, excluded.run_after);
    RETURN NULL;
END
$$;

-- A history event becomes a chat delivery for every enabled rule that wants its kind and its
-- task's project. A private task, or one already gone, is never announced: a channel is read
-- by people who may not see it.
CREATE FUNCTION bastion_history.chat_history_event(p_schema text, p_event jsonb)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_type text := p_event ->> 'entity_type';
    v_action text := p_event ->> 'action';
    v_task uuid := (p_event ->> 'task_id')::uuid;
    v_changes jsonb := p_event -> 'changes';
    v_kind text;
    v_detail text;
    v_project uuid;
    v_private boolean;
    v_wanted boolean;
BEGIN
    -- An import's rows are not announced one by one (`work::import` sets this for its
    -- transaction): a thousand messages would bury the channel.
    IF v_task IS NULL OR current_setting('bastion.bulk_import', true) = 'on' THEN
        RETURN;
    END IF;
    IF v_type = 'task' AND v_action = 'created' THEN
        v_kind := 'task_created';
    ELSIF v_type = 'task' AND v_action = 'updated' AND v_changes ? 'status' THEN
        v_kind := 'task_status';
        v_detail := v_changes -> 'status' ->> 'after';
    ELSIF v_type = 'task' AND v_action = 'updated' AND v_changes ? 'assignee_id'
          AND (v_changes -> 'assignee_id' ->> 'after') IS NOT NULL THEN
        v_kind := 'task_assigned';
        v_detail := v_changes -> 'assignee_id' ->> 'after';
    ELSIF v_type = 'comment' AND v_action = 'created' THEN
        v_kind := 'comment_created';
    ELSE
        RETURN;
    END IF;
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.chat_notifications
                                    WHERE enabled AND $1 = ANY (events))', p_schema)
        INTO v_wanted USING v_kind;
    IF NOT v_wanted THEN
        RETURN;
    END IF;
    EXECUTE format('SELECT t.project_id, t.private FROM %I.tasks t WHERE t.id = $1', p_schema)
        INTO v_project, v_private USING v_task;
    IF v_private IS DISTINCT FROM false THEN
        RETURN;
    END IF;
    EXECUTE format('INSERT INTO %I.chat_deliveries (id, chat_id, kind, task_id, actor, detail,
                                                    occurred_at, next_attempt_at)
                    SELECT gen_random_uuid(), c.id, $1, $2, $3, $4, $5, now()
                      FROM %I.chat_notifications c
                     WHERE c.enabled AND $1 = ANY (c.events)
                       AND (c.project_id IS NULL OR c.project_id = $6)', p_schema, p_schema)
        USING v_kind, v_task, p_event ->> 'actor', v_detail,
              (p_event ->> 'occurred_at')::timestamptz, v_project;
END
$$;

CREATE FUNCTION bastion_history.chat_history_change() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM bastion_history.chat_history_event(TG_TABLE_SCHEMA, to_jsonb(NEW));
    RETURN NULL;
END
$$;

-- Where the workspace's events go is part of its audit history: who sent which events to
-- which channel, and when that stopped.
CREATE FUNCTION bastion_history.chat_notification_change() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_row jsonb := CASE TG_OP WHEN 'DELETE' THEN to_jsonb(OLD) ELSE to_jsonb(NEW) END;
    v_changes jsonb;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        v_changes := bastion_history.diff(to_jsonb(OLD), to_jsonb(NEW));
        IF v_changes = '{}'::jsonb THEN
            RETURN NULL;
        END IF;
    ELSE
        v_changes := v_row;
    END IF;
    PERFORM bastion_history.append(TG_TABLE_SCHEMA, 'chat_notification', (v_row ->> 'id')::uuid,
                                   CASE TG_OP WHEN 'INSERT' THEN 'created'
                                   WHEN 'UPDATE' THEN 'updated' ELSE 'deleted' END,
                                   v_changes, NULL);
    RETURN NULL;
END
$$;

CREATE FUNCTION bastion_history.import_change() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM bastion_history.append(TG_TABLE_SCHEMA, 'import', NEW.id, 'created', to_jsonb(NEW),
                                   NULL);
    RETURN NULL;
END
$$;

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA bastion_history FROM PUBLIC;
RESET ROLE;
