-- Live updates (issue 15): every change that a page shows live becomes a row of the workspace's
-- `live_events` (tenant migration 0013), written in the change's own transaction, and a
-- `NOTIFY bastion_live` carrying only ids (`{workspace, kind, id, seq}`), which PostgreSQL
-- delivers at commit. Servers LISTEN on that one channel and fan out per workspace; the table is
-- what a reconnecting client (`Last-Event-ID`) and a listener that lost its connection replay
-- from (docs/architecture.md, "Live updates").
--
-- Like the history and webhook functions, these are shared by every workspace (control-plane
-- migrations 0014, 0015, 0018): the workspace's schema is data, its tables are reached by
-- dynamic SQL with the name quoted, they run as `bastion_tenant_owner` with a search path of
-- pg_catalog alone, and workspace roles reach them only by firing a trigger. The trigger
-- functions are one statement each.
SET LOCAL ROLE bastion_tenant_owner;

-- Appends one event to workspace schema p_schema and announces it. `seq` is drawn under the
-- workspace's history lock (the one `append` takes, held to commit), so within a workspace the
-- order of `seq` is the order of commits, which is the order of the notifications: a reader
-- that has seen `seq` n has seen every committed event before it, and "everything after n" is
-- a complete answer.
CREATE FUNCTION bastion_history.live_emit(
    p_schema text, p_kind text, p_entity uuid, p_task uuid, p_task_private boolean,
    p_recipient uuid
) RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_seq bigint;
BEGIN
    -- A schema not yet migrated to live events has none (a change during the migration).
    IF to_regclass(format('%I.live_events', p_schema)) IS NULL THEN
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended('bastion.history:' || p_schema, 0));
    v_seq := nextval(format('%I.live_events_seq', p_schema)::regclass);
    EXECUTE format('INSERT INTO %I.live_events (seq, kind, entity_id, task_id, task_private,
                                                recipient_id)
                    VALUES ($1, $2, $3, $4, $5, $6)', p_schema)
        USING v_seq, p_kind, p_entity, p_task, p_task_private, p_recipient;
    PERFORM pg_notify('bastion_live', json_build_object(
        'workspace', substr(p_schema, 4)::uuid, 'kind', p_kind, 'id', p_entity,
        'seq', v_seq)::text);
END
$$;

-- Work events come from the history: every audited change of a task, or of something that
-- belongs to one (comments, checklist items, relations, attachments, time entries), is a history
-- event already, in the change's transaction.
CREATE FUNCTION bastion_history.live_history_event(p_schema text, p_event jsonb)
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
    v_entity uuid := (p_event ->> 'entity_id')::uuid;
    v_private boolean;
BEGIN
    -- Watching is a person's own choice, not a change of the work anyone looks at.
    IF v_task IS NULL OR v_action IN ('watcher_added', 'watcher_removed') THEN
        RETURN;
    END IF;
    IF v_type = 'task' THEN
        v_kind := CASE
            WHEN v_action = 'created' THEN 'task.created'
            WHEN v_action = 'deleted' THEN 'task.deleted'
            -- A move: another column, project or place in its column.
            WHEN v_action = 'updated' AND EXISTS (
                SELECT 1 FROM jsonb_object_keys(v_changes) k
                 WHERE k IN ('status', 'project_id') OR k LIKE '%position%'
                    OR k LIKE '%order%' OR k LIKE '%rank%') THEN 'task.moved'
            ELSE 'task.updated' END;
        -- Who may hear of a task that is gone is decided by what it was.
        IF v_action = 'deleted' THEN
            v_private := coalesce((v_changes ->> 'private')::boolean, true);
        END IF;
    ELSIF v_type = 'comment' THEN
        v_kind := 'comment.' || v_action;
    ELSE
        -- Checklist items, relations, attachments, time entries: the task page changed.
        v_kind := 'task.updated';
        v_entity := v_task;
    END IF;
    PERFORM bastion_history.live_emit(p_schema, v_kind, v_entity, v_task, v_private, NULL);
END
$$;

CREATE FUNCTION bastion_history.live_history_change() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM bastion_history.live_history_event(TG_TABLE_SCHEMA, to_jsonb(NEW));
    RETURN NULL;
END
$$;

-- A notice, for its recipient only: created (the inbox count goes up) or read (it goes down).
CREATE FUNCTION bastion_history.live_notification_event(p_schema text, p_op text, p_old jsonb,
                                                        p_new jsonb)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_op = 'UPDATE' AND (p_old ->> 'read_at') IS NOT DISTINCT FROM (p_new ->> 'read_at') THEN
        RETURN;
    END IF;
    PERFORM bastion_history.live_emit(p_schema,
        CASE p_op WHEN 'INSERT' THEN 'notification.created' ELSE 'notification.read' END,
        (p_new ->> 'id')::uuid, (p_new ->> 'task_id')::uuid, NULL,
        (p_new ->> 'recipient_id')::uuid);
END
$$;

CREATE FUNCTION bastion_history.live_notification_change() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM bastion_history.live_notification_event(TG_TABLE_SCHEMA, TG_OP, to_jsonb(OLD),
                                                    to_jsonb(NEW));
    RETURN NULL;
END
$$;

-- Members are not in the work history, so their table has its own trigger.
CREATE FUNCTION bastion_history.live_member_event(p_schema text, p_op text, p_old jsonb,
                                                  p_new jsonb)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_op = 'UPDATE' AND p_old IS NOT DISTINCT FROM p_new THEN
        RETURN;
    END IF;
    PERFORM bastion_history.live_emit(p_schema,
        'member.' || CASE p_op WHEN 'INSERT' THEN 'added' WHEN 'UPDATE' THEN 'updated'
                               ELSE 'removed' END,
        (CASE p_op WHEN 'DELETE' THEN p_old ELSE p_new END ->> 'user_id')::uuid,
        NULL, NULL, NULL);
END
$$;

CREATE FUNCTION bastion_history.live_member_change() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM bastion_history.live_member_event(TG_TABLE_SCHEMA, TG_OP, to_jsonb(OLD),
                                              to_jsonb(NEW));
    RETURN NULL;
END
$$;

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA bastion_history FROM PUBLIC;
RESET ROLE;
