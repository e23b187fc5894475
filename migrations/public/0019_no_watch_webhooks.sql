-- Watching a task (tenant migration 0010) is a person's own choice of what to be told, not a
-- change of the work: its history events stay out of webhooks. Without this, every new task
-- was announced twice (`task.created`, then `task.watcher_added` for its creator), and an
-- integration learned who follows what.
SET LOCAL ROLE bastion_tenant_owner;

CREATE OR REPLACE FUNCTION bastion_history.webhook_history_event(p_schema text, p_event jsonb)
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
    IF v_type NOT IN ('task', 'comment', 'time_entry', 'attachment')
       OR v_action IN ('watcher_added', 'watcher_removed') THEN
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

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA bastion_history FROM PUBLIC;
RESET ROLE;
