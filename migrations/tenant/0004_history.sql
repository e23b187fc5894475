-- Audit history (PRODUCT.md §4): one immutable event per change of tasks, comments, time
-- entries, attachments and tags, and per tag or viewer added to or removed from a task. Events are
-- written by triggers, so they land in the same transaction as the change and no code path can
-- forget them; the actor comes from the transaction-local `bastion.actor` that TenantTx sets.
--
-- Tamper evidence: the events form a hash chain in id order,
--     hash = sha256(prev_hash || history_content(event)),
-- where prev_hash is the hash of the event before. Editing, inserting or deleting an event behind
-- the application's back (as a superuser) breaks the chain at that event or the next one, which
-- `bastion audit verify` reports. The retention job deletes only a prefix of the chain, and the
-- oldest kept event's prev_hash is the anchor a verification starts from.

CREATE TABLE history (
    id bigserial PRIMARY KEY,
    -- The instant of the transaction that made the change (UTC; timestamptz has no zone).
    occurred_at timestamptz NOT NULL DEFAULT now(),
    -- A user id, 'system' for operator commands and jobs, 'unknown' for a change made outside a
    -- TenantTx (a migration, or someone at a psql prompt).
    actor text NOT NULL,
    entity_type text NOT NULL
        CHECK (entity_type IN ('task', 'comment', 'time_entry', 'attachment', 'tag')),
    entity_id uuid NOT NULL,
    action text NOT NULL CHECK (action IN ('created', 'updated', 'deleted', 'tag_added',
        'tag_removed', 'viewer_added', 'viewer_removed')),
    -- created/deleted: the whole row; updated: {"field": {"before": .., "after": ..}} for the
    -- changed fields only; tag/viewer events: the id of the tag or user.
    changes jsonb NOT NULL,
    -- The task the event belongs to, for a task's timeline (null for tags themselves).
    task_id uuid,
    prev_hash bytea,
    hash bytea NOT NULL
);
CREATE INDEX history_task_idx ON history (task_id, id) WHERE task_id IS NOT NULL;
CREATE INDEX history_occurred_idx ON history (occurred_at);
CREATE INDEX history_actor_idx ON history (actor, id);

-- The application may add and read events, never change or remove them. Only the schema owner
-- (`bastion_tenant_owner`, used by the retention job) can delete. Without UPDATE on the sequence
-- the role cannot `setval` it either; nextval needs only USAGE.
REVOKE UPDATE, DELETE, TRUNCATE ON history FROM {{tenant_role}};
REVOKE UPDATE ON SEQUENCE history_id_seq FROM {{tenant_role}};

-- The canonical bytes an event's hash covers: every field but the hashes, as a JSON array (whose
-- text form PostgreSQL produces deterministically; jsonb objects print their keys in a fixed
-- order), with the instant as integer microseconds so that no session setting changes it.
CREATE FUNCTION history_content(
    id bigint, occurred_at timestamptz, actor text, entity_type text, entity_id uuid,
    action text, changes jsonb, task_id uuid
) RETURNS bytea
LANGUAGE sql IMMUTABLE
AS $$
    SELECT convert_to(jsonb_build_array(
        id, (extract(epoch FROM occurred_at) * 1000000)::bigint, actor, entity_type,
        entity_id::text, action, task_id::text, changes
    )::text, 'UTF8')
$$;

-- Appends one event to the chain. `SET search_path FROM CURRENT` pins the function to this
-- schema, whatever the caller's path.
--
-- Appends are serialised per workspace by a transaction-level advisory lock keyed on the schema:
-- the last hash is read only after the lock is held, so two transactions can never both chain
-- onto the same event (a fork). The cost: from its first audited change until it commits, a
-- transaction holds the workspace's history lock, so audited writes within one workspace commit
-- one at a time (other workspaces are unaffected). Our write transactions are one request long,
-- so the queue is short; a long-running transaction that touches audited tables blocks the
-- workspace's other writers and should be avoided.
--
-- Under REPEATABLE READ or SERIALIZABLE the snapshot predates the lock and the last event
-- committed meanwhile would be invisible: such transactions are refused rather than fork the chain.
CREATE FUNCTION history_append(
    p_entity_type text, p_entity_id uuid, p_action text, p_changes jsonb, p_task_id uuid
) RETURNS void
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
DECLARE
    v_prev bytea;
    v_id bigint;
    v_at timestamptz := now();
    v_actor text := coalesce(nullif(current_setting('bastion.actor', true), ''), 'unknown');
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'audited changes need READ COMMITTED isolation (the history chain is appended under a lock)';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended('bastion.history:' || current_schema(), 0));
    SELECT h.hash INTO v_prev FROM history h ORDER BY h.id DESC LIMIT 1;
    v_id := nextval('history_id_seq');
    INSERT INTO history (id, occurred_at, actor, entity_type, entity_id, action, changes, task_id,
                         prev_hash, hash)
    VALUES (v_id, v_at, v_actor, p_entity_type, p_entity_id, p_action, p_changes, p_task_id,
            v_prev,
            sha256(coalesce(v_prev, ''::bytea) || history_content(v_id, v_at, v_actor,
                p_entity_type, p_entity_id, p_action, p_changes, p_task_id)));
END
$$;

-- Only the fields that changed, as {"field": {"before": old, "after": new}}.
CREATE FUNCTION history_diff(old_row jsonb, new_row jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE
AS $$
    SELECT coalesce(jsonb_object_agg(n.key, jsonb_build_object('before', old_row -> n.key,
                                                              'after', n.value)), '{}'::jsonb)
      FROM jsonb_each(new_row) n
     WHERE (old_row -> n.key) IS DISTINCT FROM n.value
$$;

-- Row changes of an entity table. TG_ARGV[0] is the entity type; the task the row belongs to is
-- its `task_id` column, or its own id for tasks.
CREATE FUNCTION history_row_change() RETURNS trigger
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
DECLARE
    v_row jsonb;
    v_changes jsonb;
    v_action text;
    v_task uuid;
BEGIN
    IF TG_OP = 'INSERT' THEN
        v_row := to_jsonb(NEW);
        v_changes := v_row;
        v_action := 'created';
    ELSIF TG_OP = 'UPDATE' THEN
        v_row := to_jsonb(NEW);
        v_changes := history_diff(to_jsonb(OLD), v_row);
        IF v_changes = '{}'::jsonb THEN
            RETURN NULL; -- nothing changed: no event
        END IF;
        v_action := 'updated';
    ELSE
        v_row := to_jsonb(OLD);
        v_changes := v_row;
        v_action := 'deleted';
    END IF;
    v_task := CASE TG_ARGV[0]
        WHEN 'task' THEN (v_row ->> 'id')::uuid
        WHEN 'tag' THEN NULL
        ELSE (v_row ->> 'task_id')::uuid
    END;
    PERFORM history_append(TG_ARGV[0], (v_row ->> 'id')::uuid, v_action, v_changes, v_task);
    RETURN NULL;
END
$$;

-- A tag or viewer added to or removed from a task: an event of the task. TG_ARGV[0] is 'tag' or
-- 'viewer', TG_ARGV[1] the link table's column naming the other side.
CREATE FUNCTION history_link_change() RETURNS trigger
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
DECLARE
    v_row jsonb;
BEGIN
    v_row := CASE TG_OP WHEN 'INSERT' THEN to_jsonb(NEW) ELSE to_jsonb(OLD) END;
    PERFORM history_append('task', (v_row ->> 'task_id')::uuid,
        TG_ARGV[0] || CASE TG_OP WHEN 'INSERT' THEN '_added' ELSE '_removed' END,
        jsonb_build_object(TG_ARGV[1], v_row -> TG_ARGV[1]),
        (v_row ->> 'task_id')::uuid);
    RETURN NULL;
END
$$;

CREATE TRIGGER tasks_history AFTER INSERT OR UPDATE OR DELETE ON tasks
    FOR EACH ROW EXECUTE FUNCTION history_row_change('task');
CREATE TRIGGER comments_history AFTER INSERT OR UPDATE OR DELETE ON comments
    FOR EACH ROW EXECUTE FUNCTION history_row_change('comment');
CREATE TRIGGER time_entries_history AFTER INSERT OR UPDATE OR DELETE ON time_entries
    FOR EACH ROW EXECUTE FUNCTION history_row_change('time_entry');
CREATE TRIGGER attachments_history AFTER INSERT OR UPDATE OR DELETE ON attachments
    FOR EACH ROW EXECUTE FUNCTION history_row_change('attachment');
CREATE TRIGGER tags_history AFTER INSERT OR UPDATE OR DELETE ON tags
    FOR EACH ROW EXECUTE FUNCTION history_row_change('tag');
-- Links have no fields worth changing: only their appearance and disappearance are events.
CREATE TRIGGER task_tags_history AFTER INSERT OR DELETE ON task_tags
    FOR EACH ROW EXECUTE FUNCTION history_link_change('tag', 'tag_id');
CREATE TRIGGER task_viewers_history AFTER INSERT OR DELETE ON task_viewers
    FOR EACH ROW EXECUTE FUNCTION history_link_change('viewer', 'user_id');
