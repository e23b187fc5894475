-- The history functions of every workspace, once (issue 14, docs/performance.md "Role switch and
-- two logins"). Until now each workspace schema had its own copy of the PL/pgSQL that writes
-- history (tenant migrations 0004 and 0007). Each backend compiles a function per OID, and keeps
-- every SQL statement and expression of it as a saved plan, so a connection that had written in
-- N workspaces held N copies (about half a MiB each) and N × ~50 saved plans; every
-- invalidation message (a workspace creation sends thousands) makes every backend walk its whole
-- list of saved plans, so creating workspaces while others were being written to took seconds
-- per statement. The copies also made pg_proc grow with the workspaces, and the set_user
-- extension scans (and keeps a copy of) the source of every function in pg_proc in each new
-- backend.
--
-- Here they take the workspace's schema as data: the trigger functions from TG_TABLE_SCHEMA (the
-- schema of the table whose row changed, which the caller cannot choose), and reach the
-- workspace's tables by dynamic SQL with the name quoted (%I). They run as their owner,
-- `bastion_tenant_owner` (SECURITY DEFINER), with a search path of pg_catalog alone, and nobody
-- else may execute them or even see into this schema: workspace roles reach them only by firing
-- a trigger (trigger functions need no EXECUTE) or through their own schema's
-- `history_record_workspace_update` (tenant migration 0008).
CREATE SCHEMA bastion_history AUTHORIZATION bastion_tenant_owner;
SET LOCAL ROLE bastion_tenant_owner;

-- Only the fields that changed, as {"field": {"before": old, "after": new}}.
CREATE FUNCTION bastion_history.diff(old_row jsonb, new_row jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(jsonb_object_agg(n.key, jsonb_build_object('before', old_row -> n.key,
                                                              'after', n.value)), '{}'::jsonb)
      FROM jsonb_each(new_row) n
     WHERE (old_row -> n.key) IS DISTINCT FROM n.value
$$;

-- The actor of the change being recorded in workspace schema p_schema, or an error saying why
-- the claim is refused (as tenant migration 0007 described it; the claim names the schema).
CREATE FUNCTION bastion_history.actor(p_schema text) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_claim text := coalesce(current_setting('bastion.actor', true), '');
    -- The role the session acts as (`SET ROLE`), which SECURITY DEFINER does not change.
    v_role text := current_setting('role');
    v_parts text[];
    v_key bytea;
BEGIN
    IF v_claim = '' THEN
        IF current_setting('is_superuser') = 'on'
           OR pg_has_role(CASE v_role WHEN 'none' THEN session_user::text ELSE v_role END,
                          'bastion_tenant_owner', 'USAGE') THEN
            RETURN 'unknown';
        END IF;
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = 'history: this change carries no actor claim (bastion.actor); inside a '
                      'workspace a change is recorded only under an actor the application signed';
    END IF;
    v_parts := regexp_match(v_claim,
        '^(system|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([0-9]{1,12})\.([0-9a-f]{64})$');
    IF v_parts IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = 'history: the actor claim (bastion.actor) is malformed; the change is refused';
    END IF;
    IF v_parts[2]::bigint < extract(epoch FROM now()) THEN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = 'history: the actor claim (bastion.actor) has expired; the change is refused';
    END IF;
    SELECT k.key INTO v_key FROM public.history_claim_key k;
    IF v_key IS NULL OR public.hmac(convert_to(p_schema || ':' || v_parts[1] || ':' || v_parts[2],
                                               'UTF8'), v_key, 'sha256')
                        IS DISTINCT FROM decode(v_parts[3], 'hex') THEN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = 'history: the actor claim (bastion.actor) was not signed for this workspace; '
                      'the change is refused';
    END IF;
    RETURN v_parts[1];
END
$$;

-- Appends one event to the chain of workspace schema p_schema, under the workspace's history
-- lock (tenant migration 0004 says why), and publishes the new head.
CREATE FUNCTION bastion_history.append(
    p_schema text, p_entity_type text, p_entity_id uuid, p_action text, p_changes jsonb,
    p_task_id uuid
) RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_prev bytea;
    v_id bigint;
    v_content bytea;
    v_hash bytea;
    v_at timestamptz := now();
    v_actor text := bastion_history.actor(p_schema);
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'audited changes need READ COMMITTED isolation (the history chain is appended under a lock)';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended('bastion.history:' || p_schema, 0));
    EXECUTE format('SELECT h.hash FROM %I.history h ORDER BY h.id DESC LIMIT 1', p_schema)
        INTO v_prev;
    v_id := nextval(format('%I.history_id_seq', p_schema)::regclass);
    -- The schema's own history_content, the one `bastion audit verify` recomputes with.
    EXECUTE format('SELECT %I.history_content($1, $2, $3, $4, $5, $6, $7, $8)', p_schema)
        INTO v_content
        USING v_id, v_at, v_actor, p_entity_type, p_entity_id, p_action, p_changes, p_task_id;
    v_hash := sha256(coalesce(v_prev, ''::bytea) || v_content);
    EXECUTE format('INSERT INTO %I.history (id, occurred_at, actor, entity_type, entity_id,
                        action, changes, task_id, prev_hash, hash)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)', p_schema)
        USING v_id, v_at, v_actor, p_entity_type, p_entity_id, p_action, p_changes, p_task_id,
              v_prev, v_hash;
    -- The schema is `ws_` and the workspace id in hex.
    INSERT INTO public.history_heads AS h (workspace_id, last_id, last_hash, updated_at)
    VALUES (substr(p_schema, 4)::uuid, v_id, v_hash, v_at)
    ON CONFLICT (workspace_id) DO UPDATE
        SET last_id = excluded.last_id, last_hash = excluded.last_hash,
            updated_at = excluded.updated_at;
END
$$;

-- A row change of an entity table in workspace schema p_schema: TG_ARGV[0] of the trigger is
-- the entity type; the task the row belongs to is its `task_id` column, or its own id for
-- tasks. Called by `row_change` below.
CREATE FUNCTION bastion_history.row_event(
    p_schema text, p_op text, p_entity_type text, p_old jsonb, p_new jsonb
) RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_row jsonb;
    v_changes jsonb;
    v_action text;
    v_task uuid;
BEGIN
    IF p_op = 'INSERT' THEN
        v_row := p_new;
        v_changes := v_row;
        v_action := 'created';
    ELSIF p_op = 'UPDATE' THEN
        v_row := p_new;
        v_changes := bastion_history.diff(p_old, v_row);
        IF v_changes = '{}'::jsonb THEN
            RETURN; -- nothing changed: no event
        END IF;
        v_action := 'updated';
    ELSE
        v_row := p_old;
        v_changes := v_row;
        v_action := 'deleted';
    END IF;
    v_task := CASE p_entity_type
        WHEN 'task' THEN (v_row ->> 'id')::uuid
        WHEN 'tag' THEN NULL
        ELSE (v_row ->> 'task_id')::uuid
    END;
    PERFORM bastion_history.append(p_schema, p_entity_type, (v_row ->> 'id')::uuid, v_action,
                                   v_changes, v_task);
END
$$;

-- The trigger functions themselves are one statement each, on purpose: PL/pgSQL compiles a
-- trigger function once per table it fires on and keeps a saved plan per expression, so each
-- expression here costs every backend one plan per workspace table it wrote in. The logic
-- lives in the non-trigger functions, compiled once per backend.
CREATE FUNCTION bastion_history.row_change() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM bastion_history.row_event(TG_TABLE_SCHEMA, TG_OP, TG_ARGV[0], to_jsonb(OLD),
                                      to_jsonb(NEW));
    RETURN NULL;
END
$$;

-- A tag or viewer added to or removed from a task: an event of the task. TG_ARGV[0] is 'tag' or
-- 'viewer', TG_ARGV[1] the link table's column naming the other side.
CREATE FUNCTION bastion_history.link_event(
    p_schema text, p_op text, p_kind text, p_column text, p_row jsonb
) RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM bastion_history.append(p_schema, 'task', (p_row ->> 'task_id')::uuid,
        p_kind || CASE p_op WHEN 'INSERT' THEN '_added' ELSE '_removed' END,
        jsonb_build_object(p_column, p_row -> p_column),
        (p_row ->> 'task_id')::uuid);
END
$$;

CREATE FUNCTION bastion_history.link_change() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM bastion_history.link_event(TG_TABLE_SCHEMA, TG_OP, TG_ARGV[0], TG_ARGV[1],
                                       CASE TG_OP WHEN 'INSERT' THEN to_jsonb(NEW)
                                       ELSE to_jsonb(OLD) END);
    RETURN NULL;
END
$$;

-- A change of the workspace itself, for workspace schema p_schema (tenant migration 0007 says
-- what is checked and why), called by that schema's `history_record_workspace_update`.
CREATE FUNCTION bastion_history.record_workspace_update(
    p_schema text, p_workspace uuid, p_changes jsonb
) RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_name text;
    v_plan text;
    v_ours boolean;
BEGIN
    IF p_workspace IS DISTINCT FROM substr(p_schema, 4)::uuid THEN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = 'history: a workspace event names another workspace';
    END IF;
    SELECT w.name, w.plan, w.xmin = pg_current_xact_id()::xid INTO v_name, v_plan, v_ours
      FROM public.workspaces w WHERE w.id = p_workspace;
    IF NOT coalesce(v_ours, false) THEN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = 'history: a workspace event is recorded only by the transaction that changed the workspace';
    END IF;
    IF jsonb_typeof(p_changes) IS DISTINCT FROM 'object' OR p_changes = '{}'::jsonb
       OR EXISTS (SELECT 1 FROM jsonb_object_keys(p_changes) k WHERE k NOT IN ('name', 'plan'))
       OR (p_changes ? 'name' AND p_changes #>> '{name,after}' IS DISTINCT FROM v_name)
       OR (p_changes ? 'plan' AND p_changes #>> '{plan,after}' IS DISTINCT FROM v_plan) THEN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = 'history: the workspace event does not match the workspace as changed';
    END IF;
    PERFORM bastion_history.append(p_schema, 'workspace', p_workspace, 'updated', p_changes, NULL);
END
$$;

-- Functions are executable by PUBLIC unless revoked; schemas are not usable unless granted.
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA bastion_history FROM PUBLIC;
RESET ROLE;
