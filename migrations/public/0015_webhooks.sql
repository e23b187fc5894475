-- Outgoing webhooks are delivered from the job queue: one `webhooks` job per workspace with
-- something due. A delivery recorded in a workspace (tenant migration 0009) queues that job in
-- the same transaction, so a rolled-back change queues nothing. `run_after` lets a retry wait:
-- a job is not leased before it.
ALTER TABLE jobs
    DROP CONSTRAINT jobs_kind_check,
    ADD CONSTRAINT jobs_kind_check CHECK (kind IN ('export', 'webhooks')),
    ADD COLUMN run_after timestamptz NOT NULL DEFAULT now();

-- At most one waiting webhooks job per workspace: a burst of changes queues one job, whose
-- `run_after` is the earliest any of them asked for.
CREATE UNIQUE INDEX jobs_one_waiting_webhooks ON jobs (workspace_id)
    WHERE kind = 'webhooks' AND state = 'queued';

GRANT SELECT, INSERT ON jobs TO bastion_tenant_owner;
GRANT UPDATE (run_after) ON jobs TO bastion_tenant_owner;

-- The functions that turn a workspace's changes into webhook deliveries, once for every
-- workspace, beside the history functions and for the same reasons (control-plane migration
-- 0014): they take the workspace's schema as data, reach its tables by dynamic SQL with the name
-- quoted, run as `bastion_tenant_owner` with a search path of pg_catalog alone, and workspace
-- roles reach them only by firing a trigger. The trigger functions are one statement each.
SET LOCAL ROLE bastion_tenant_owner;

-- Records one event for every enabled endpoint of workspace schema p_schema subscribed to its
-- family. The payload is thin: ids, never titles or bodies.
CREATE FUNCTION bastion_history.webhook_emit(
    p_schema text, p_type text, p_family text, p_data jsonb, p_at timestamptz
) RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_wanted boolean;
    v_payload text;
BEGIN
    -- A schema not yet migrated to webhooks has none (a change during the migration).
    IF to_regclass(format('%I.webhook_endpoints', p_schema)) IS NULL THEN
        RETURN;
    END IF;
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.webhook_endpoints
                                    WHERE enabled AND $1 = ANY (events))', p_schema)
        INTO v_wanted USING p_family;
    IF NOT v_wanted THEN
        RETURN;
    END IF;
    v_payload := jsonb_build_object(
        'type', p_type,
        'timestamp', to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'data', jsonb_build_object(
            'workspace', (SELECT w.slug FROM public.workspaces w
                           WHERE w.id = substr(p_schema, 4)::uuid))
            || p_data)::text;
    EXECUTE format('INSERT INTO %I.webhook_deliveries (id, event_id, endpoint_id, event_type,
                                                       payload, next_attempt_at)
                    SELECT gen_random_uuid(), ev.id, e.id, $1, $2, now()
                      FROM %I.webhook_endpoints e, (SELECT gen_random_uuid() AS id) ev
                     WHERE e.enabled AND $3 = ANY (e.events)', p_schema, p_schema)
        USING p_type, v_payload, p_family;
END
$$;

-- Any new delivery (an event, or an admin's "send again") queues the workspace's webhooks job,
-- due now, in the same transaction. The workspace role cannot reach the control plane; this
-- owner-run trigger can, for the workspace whose table fired it only.
CREATE FUNCTION bastion_history.webhook_wake_event(p_schema text) RETURNS void
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO public.jobs AS j (id, kind, workspace_id, run_after)
    VALUES (gen_random_uuid(), 'webhooks', substr(p_schema, 4)::uuid, now())
    ON CONFLICT (workspace_id) WHERE kind = 'webhooks' AND state = 'queued'
    DO UPDATE SET run_after = least(j.run_after, excluded.run_after)
$$;

CREATE FUNCTION bastion_history.webhook_wake() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM bastion_history.webhook_wake_event(TG_TABLE_SCHEMA);
    RETURN NULL;
END
$$;

-- The one hook for work events: every audited change of a task, comment, time entry or
-- attachment is a history event, and each of those becomes a webhook event here.
-- A private task is announced by its id only (docs/architecture.md, "Outgoing webhooks").
CREATE FUNCTION bastion_history.webhook_history_event(p_schema text, p_event jsonb)
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
    v_wanted boolean;
    v_private boolean;
    v_data jsonb;
BEGIN
    IF v_type NOT IN ('task', 'comment', 'time_entry', 'attachment') THEN
        RETURN;
    END IF;
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.webhook_endpoints
                                    WHERE enabled AND $1 = ANY (events))', p_schema)
        INTO v_wanted USING v_type;
    IF NOT v_wanted THEN
        RETURN;
    END IF;
    EXECUTE format('SELECT t.private FROM %I.tasks t WHERE t.id = $1', p_schema)
        INTO v_private USING v_task;
    IF v_private IS NULL THEN
        -- The task is gone: a deleted task's event carries its last row; anything else of a
        -- task that is gone is treated as private, the cautious choice.
        v_private := CASE WHEN v_type = 'task' AND v_action = 'deleted'
                          THEN coalesce((v_changes ->> 'private')::boolean, true)
                          ELSE true END;
    END IF;
    v_data := jsonb_build_object('task_id', v_task);
    IF v_private THEN
        v_data := v_data || '{"private": true}'::jsonb;
    ELSE
        IF v_type <> 'task' THEN
            v_data := v_data || jsonb_build_object(v_type || '_id', p_event -> 'entity_id');
        END IF;
        IF v_action = 'updated' THEN
            v_data := v_data || jsonb_build_object('fields',
                (SELECT coalesce(jsonb_agg(k ORDER BY k), '[]'::jsonb)
                   FROM jsonb_object_keys(v_changes) k));
        ELSIF v_action IN ('tag_added', 'tag_removed', 'viewer_added', 'viewer_removed') THEN
            v_data := v_data || v_changes;
        END IF;
    END IF;
    PERFORM bastion_history.webhook_emit(p_schema, v_type || '.' || v_action, v_type, v_data,
                                         (p_event ->> 'occurred_at')::timestamptz);
END
$$;

CREATE FUNCTION bastion_history.webhook_history_change() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM bastion_history.webhook_history_event(TG_TABLE_SCHEMA, to_jsonb(NEW));
    RETURN NULL;
END
$$;

-- Members are not in the work history, so their table has its own trigger into the same emit.
CREATE FUNCTION bastion_history.webhook_member_event(
    p_schema text, p_op text, p_old jsonb, p_new jsonb
) RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_row jsonb := CASE p_op WHEN 'DELETE' THEN p_old ELSE p_new END;
BEGIN
    IF p_op = 'UPDATE' AND p_old IS NOT DISTINCT FROM p_new THEN
        RETURN;
    END IF;
    PERFORM bastion_history.webhook_emit(p_schema,
        'member.' || CASE p_op WHEN 'INSERT' THEN 'added' WHEN 'UPDATE' THEN 'updated'
                               ELSE 'removed' END,
        'member',
        jsonb_build_object('user_id', v_row -> 'user_id', 'role', v_row -> 'role',
                           'active', v_row -> 'active'),
        now());
END
$$;

CREATE FUNCTION bastion_history.webhook_member_change() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM bastion_history.webhook_member_event(TG_TABLE_SCHEMA, TG_OP, to_jsonb(OLD),
                                                 to_jsonb(NEW));
    RETURN NULL;
END
$$;

-- Endpoints are on record: created, changed, rotated (the version, never a secret), deleted.
CREATE FUNCTION bastion_history.webhook_endpoint_event(
    p_schema text, p_op text, p_old jsonb, p_new jsonb
) RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_hidden text[] := ARRAY['secret_ciphertext', 'previous_secret_ciphertext',
                             'previous_secret_expires_at', 'updated_at'];
    v_changes jsonb;
    v_action text;
    v_row jsonb := CASE p_op WHEN 'DELETE' THEN p_old ELSE p_new END;
BEGIN
    IF p_op = 'INSERT' THEN
        v_changes := p_new - v_hidden;
        v_action := 'created';
    ELSIF p_op = 'UPDATE' THEN
        v_changes := bastion_history.diff(p_old - v_hidden, p_new - v_hidden);
        IF v_changes = '{}'::jsonb THEN
            RETURN; -- a data-key rotation re-encrypting the secret: not a change
        END IF;
        v_action := 'updated';
    ELSE
        v_changes := p_old - v_hidden;
        v_action := 'deleted';
    END IF;
    PERFORM bastion_history.append(p_schema, 'webhook_endpoint', (v_row ->> 'id')::uuid,
                                   v_action, v_changes, NULL);
END
$$;

CREATE FUNCTION bastion_history.webhook_endpoint_change() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM bastion_history.webhook_endpoint_event(TG_TABLE_SCHEMA, TG_OP, to_jsonb(OLD),
                                                   to_jsonb(NEW));
    RETURN NULL;
END
$$;

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA bastion_history FROM PUBLIC;
RESET ROLE;
