-- No function left in any workspace schema (issue 14, docs/performance.md "Creation at 10,000
-- workspaces"). PostgreSQL finds a function by name through one catalog-cache list of every
-- function of that name, in every schema, which it filters by schema afterwards; the list is
-- dropped whenever pg_proc changes. With a `history_content` and a
-- `history_record_workspace_update` in each of 10,000 schemas, every `GRANT`/`REVOKE` on those
-- functions (a workspace creation makes five), and the first call by name after any workspace
-- creation in every backend, loaded a list of 10,000: 50-80 ms each, and the creation of a
-- workspace took 600 ms at 10,000 against 26 ms at 10.
--
-- So both go shared, here, beside the other history functions:
-- - `content`, the bytes an event's hash covers (as tenant migration 0004 defined
--   `history_content`), used by `append` below and by `bastion audit verify`;
-- - `record_workspace_update` was already here; core now calls it directly from its transaction
--   entered as `bastion_tenant_owner` (`TenantTx::enter`, the only way such an event is written),
--   so workspace roles need no entry point of their own any more.
-- Tenant migration 0011 drops the per-schema functions.
SET LOCAL ROLE bastion_tenant_owner;

CREATE FUNCTION bastion_history.content(
    id bigint, occurred_at timestamptz, actor text, entity_type text, entity_id uuid,
    action text, changes jsonb, task_id uuid
) RETURNS bytea
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT convert_to(jsonb_build_array(
        id, (extract(epoch FROM occurred_at) * 1000000)::bigint, actor, entity_type,
        entity_id::text, action, task_id::text, changes
    )::text, 'UTF8')
$$;

CREATE OR REPLACE FUNCTION bastion_history.append(
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
    v_content := bastion_history.content(v_id, v_at, v_actor, p_entity_type, p_entity_id,
                                         p_action, p_changes, p_task_id);
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

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA bastion_history FROM PUBLIC;
RESET ROLE;
