-- Outgoing webhooks (Standard Webhooks): endpoints, one delivery per event and endpoint, and
-- the log of every attempt. Deliveries are recorded by triggers in the transaction of the change
-- they announce (a rolled-back change announces nothing), which also queues the workspace's
-- `webhooks` job in the control plane (control-plane migration 0014).

ALTER TABLE history
    DROP CONSTRAINT history_entity_type_check,
    ADD CONSTRAINT history_entity_type_check CHECK (entity_type IN
        ('task', 'comment', 'time_entry', 'attachment', 'tag', 'workspace', 'webhook_endpoint'));

CREATE TABLE webhook_endpoints (
    id uuid PRIMARY KEY,
    url text NOT NULL CHECK (char_length(url) BETWEEN 1 AND 2000),
    description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 500),
    -- Families of events: task, comment, time_entry, attachment, member.
    events text[] NOT NULL CHECK (cardinality(events) >= 1
        AND events <@ ARRAY['task', 'comment', 'time_entry', 'attachment', 'member']),
    enabled boolean NOT NULL DEFAULT true,
    -- Why it was disabled (by an admin, or by the receiver answering 410).
    disabled_reason text CHECK (char_length(disabled_reason) <= 500),
    -- `whsec_…` as a Fernet token under the workspace's data key; never stored in the clear.
    secret_ciphertext text NOT NULL CHECK (secret_ciphertext LIKE 'gAAAAA%'),
    -- Counts rotations, so that history records a rotation without the secret (a data-key
    -- rotation re-encrypts the columns above and below without changing this).
    secret_version integer NOT NULL DEFAULT 1,
    -- The secret before the last rotation, still signing beside the new one until it expires.
    previous_secret_ciphertext text CHECK (previous_secret_ciphertext LIKE 'gAAAAA%'),
    previous_secret_expires_at timestamptz,
    created_by uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhook_deliveries (
    id uuid PRIMARY KEY,
    -- The message id (`webhook-id`): the same for every attempt, and for every endpoint told of
    -- the same event.
    event_id uuid NOT NULL,
    endpoint_id uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_type text NOT NULL,
    -- The exact body signed and sent, so every attempt sends the same bytes.
    payload text NOT NULL,
    status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz,
    -- A runner sending it holds it until then; a runner that died lets it go at that instant.
    claimed_until timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_attempt_at timestamptz
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at DESC, id);

CREATE TABLE webhook_attempts (
    id bigserial PRIMARY KEY,
    delivery_id uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt integer NOT NULL,
    attempted_at timestamptz NOT NULL,
    http_status integer,
    latency_ms integer NOT NULL,
    response_excerpt text CHECK (octet_length(response_excerpt) <= 1024),
    error text CHECK (char_length(error) <= 500)
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);

-- Records one event for every enabled endpoint subscribed to its family, and queues the
-- workspace's webhooks job. The payload is thin: ids, never titles or bodies.
CREATE FUNCTION webhook_emit(p_type text, p_family text, p_data jsonb, p_at timestamptz)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = {{tenant_role}}, pg_temp
AS $$
DECLARE
    v_payload text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM webhook_endpoints WHERE enabled AND p_family = ANY (events)) THEN
        RETURN;
    END IF;
    v_payload := jsonb_build_object(
        'type', p_type,
        'timestamp', to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'data', jsonb_build_object(
            'workspace', (SELECT w.slug FROM public.workspaces w
                           WHERE w.id = substr(current_schema(), 4)::uuid))
            || p_data)::text;
    INSERT INTO webhook_deliveries (id, event_id, endpoint_id, event_type, payload,
                                    next_attempt_at)
    SELECT gen_random_uuid(), ev.id, e.id, p_type, v_payload, now()
      FROM webhook_endpoints e, (SELECT gen_random_uuid() AS id) ev
     WHERE e.enabled AND p_family = ANY (e.events);
END
$$;

-- Any new delivery (an event, or an admin's "send again") queues the workspace's webhooks job,
-- due now, in the same transaction. The workspace role cannot reach the control plane; this
-- owner-run trigger can, for its own workspace only.
CREATE FUNCTION webhook_wake() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = {{tenant_role}}, pg_temp
AS $$
BEGIN
    INSERT INTO public.jobs AS j (id, kind, workspace_id, run_after)
    VALUES (gen_random_uuid(), 'webhooks', substr(current_schema(), 4)::uuid, now())
    ON CONFLICT (workspace_id) WHERE kind = 'webhooks' AND state = 'queued'
    DO UPDATE SET run_after = least(j.run_after, excluded.run_after);
    RETURN NULL;
END
$$;
CREATE TRIGGER webhook_deliveries_wake AFTER INSERT ON webhook_deliveries
    FOR EACH STATEMENT EXECUTE FUNCTION webhook_wake();

-- The one hook for work events: every audited change of a task, comment, time entry or
-- attachment is a history event (0004), and each of those becomes a webhook event here.
-- A private task is announced by its id only (docs/architecture.md, "Outgoing webhooks").
CREATE FUNCTION webhook_from_history() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = {{tenant_role}}, pg_temp
AS $$
DECLARE
    v_private boolean;
    v_data jsonb;
BEGIN
    IF NEW.entity_type NOT IN ('task', 'comment', 'time_entry', 'attachment') THEN
        RETURN NULL;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM webhook_endpoints
                    WHERE enabled AND NEW.entity_type = ANY (events)) THEN
        RETURN NULL;
    END IF;
    SELECT t.private INTO v_private FROM tasks t WHERE t.id = NEW.task_id;
    IF v_private IS NULL THEN
        -- The task is gone: a deleted task's event carries its last row; anything else of a
        -- task that is gone is treated as private, the cautious choice.
        v_private := CASE WHEN NEW.entity_type = 'task' AND NEW.action = 'deleted'
                          THEN coalesce((NEW.changes ->> 'private')::boolean, true)
                          ELSE true END;
    END IF;
    v_data := jsonb_build_object('task_id', NEW.task_id);
    IF v_private THEN
        v_data := v_data || '{"private": true}'::jsonb;
    ELSE
        IF NEW.entity_type <> 'task' THEN
            v_data := v_data || jsonb_build_object(NEW.entity_type || '_id', NEW.entity_id);
        END IF;
        IF NEW.action = 'updated' THEN
            v_data := v_data || jsonb_build_object('fields',
                (SELECT coalesce(jsonb_agg(k ORDER BY k), '[]'::jsonb)
                   FROM jsonb_object_keys(NEW.changes) k));
        ELSIF NEW.action IN ('tag_added', 'tag_removed', 'viewer_added', 'viewer_removed') THEN
            v_data := v_data || NEW.changes;
        END IF;
    END IF;
    PERFORM webhook_emit(NEW.entity_type || '.' || NEW.action, NEW.entity_type, v_data,
                         NEW.occurred_at);
    RETURN NULL;
END
$$;
CREATE TRIGGER history_webhooks AFTER INSERT ON history
    FOR EACH ROW EXECUTE FUNCTION webhook_from_history();

-- Members are not in the work history, so their table has its own trigger into the same emit.
CREATE FUNCTION webhook_member_change() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = {{tenant_role}}, pg_temp
AS $$
DECLARE
    v_row members;
BEGIN
    IF TG_OP = 'UPDATE' AND OLD IS NOT DISTINCT FROM NEW THEN
        RETURN NULL;
    END IF;
    v_row := CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
    PERFORM webhook_emit(
        'member.' || CASE TG_OP WHEN 'INSERT' THEN 'added' WHEN 'UPDATE' THEN 'updated'
                                ELSE 'removed' END,
        'member',
        jsonb_build_object('user_id', v_row.user_id, 'role', v_row.role, 'active', v_row.active),
        now());
    RETURN NULL;
END
$$;
CREATE TRIGGER members_webhooks AFTER INSERT OR UPDATE OR DELETE ON members
    FOR EACH ROW EXECUTE FUNCTION webhook_member_change();

-- Endpoints are on record: created, changed, rotated (the version, never a secret), deleted.
CREATE FUNCTION webhook_endpoint_history() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = {{tenant_role}}, pg_temp
AS $$
DECLARE
    v_hidden text[] := ARRAY['secret_ciphertext', 'previous_secret_ciphertext',
                             'previous_secret_expires_at', 'updated_at'];
    v_changes jsonb;
    v_action text;
    v_id uuid;
BEGIN
    IF TG_OP = 'INSERT' THEN
        v_changes := to_jsonb(NEW) - v_hidden;
        v_action := 'created';
        v_id := NEW.id;
    ELSIF TG_OP = 'UPDATE' THEN
        v_changes := history_diff(to_jsonb(OLD) - v_hidden, to_jsonb(NEW) - v_hidden);
        IF v_changes = '{}'::jsonb THEN
            RETURN NULL; -- a data-key rotation re-encrypting the secret: not a change
        END IF;
        v_action := 'updated';
        v_id := NEW.id;
    ELSE
        v_changes := to_jsonb(OLD) - v_hidden;
        v_action := 'deleted';
        v_id := OLD.id;
    END IF;
    PERFORM history_append('webhook_endpoint', v_id, v_action, v_changes, NULL);
    RETURN NULL;
END
$$;
CREATE TRIGGER webhook_endpoints_history AFTER INSERT OR UPDATE OR DELETE ON webhook_endpoints
    FOR EACH ROW EXECUTE FUNCTION webhook_endpoint_history();

REVOKE EXECUTE ON FUNCTION webhook_emit(text, text, jsonb, timestamptz) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION webhook_wake() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION webhook_from_history() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION webhook_member_change() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION webhook_endpoint_history() FROM PUBLIC;
