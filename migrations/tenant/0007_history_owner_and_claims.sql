-- History that SQL injected into a tenant transaction cannot forge (issue 14):
--
-- * The functions that write history run as their owner, `bastion_tenant_owner` (SECURITY
--   DEFINER, with a fixed search path naming this schema and pg_temp last), and the workspace
--   role loses INSERT on `history`, its sequence and EXECUTE on the append function: an event
--   exists only because a trigger saw a row change (or because the workspace row itself changed,
--   `history_record_workspace_update`).
-- * The actor is no longer whatever `bastion.actor` says: inside a tenant transaction it must be
--   a claim `<user uuid|system>.<expiry, unix seconds>.<hex hmac-sha256>` signed over
--   `<schema>:<actor>:<expiry>` with `public.history_claim_key`, which the workspace role cannot
--   read. A missing, malformed, expired or wrongly signed claim refuses the change (42501).
--   Without a claim, a change is recorded as 'unknown' only when the acting role could write
--   history itself anyway: a superuser, or a role using `bastion_tenant_owner`'s rights (tenant
--   migrations, an operator at psql).
-- * Every append publishes the chain's new head in `public.history_heads`, in the same
--   transaction, for `bastion audit verify` to compare the chain's end with.

REVOKE INSERT ON history FROM {{tenant_role}};
REVOKE ALL ON SEQUENCE history_id_seq FROM {{tenant_role}};

-- The actor of the change being recorded, or an error saying why the claim is refused.
CREATE FUNCTION history_actor() RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = {{tenant_role}}, pg_temp
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
    IF v_key IS NULL OR public.hmac(convert_to(current_schema() || ':' || v_parts[1] || ':' || v_parts[2],
                                               'UTF8'), v_key, 'sha256')
                        IS DISTINCT FROM decode(v_parts[3], 'hex') THEN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = 'history: the actor claim (bastion.actor) was not signed for this workspace; '
                      'the change is refused';
    END IF;
    RETURN v_parts[1];
END
$$;

-- As in 0004, with the actor from history_actor() and the new head published.
CREATE OR REPLACE FUNCTION history_append(
    p_entity_type text, p_entity_id uuid, p_action text, p_changes jsonb, p_task_id uuid
) RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = {{tenant_role}}, pg_temp
AS $$
DECLARE
    v_prev bytea;
    v_id bigint;
    v_hash bytea;
    v_at timestamptz := now();
    v_actor text := history_actor();
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'audited changes need READ COMMITTED isolation (the history chain is appended under a lock)';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended('bastion.history:' || current_schema(), 0));
    SELECT h.hash INTO v_prev FROM history h ORDER BY h.id DESC LIMIT 1;
    v_id := nextval('history_id_seq');
    v_hash := sha256(coalesce(v_prev, ''::bytea) || history_content(v_id, v_at, v_actor,
        p_entity_type, p_entity_id, p_action, p_changes, p_task_id));
    INSERT INTO history (id, occurred_at, actor, entity_type, entity_id, action, changes, task_id,
                         prev_hash, hash)
    VALUES (v_id, v_at, v_actor, p_entity_type, p_entity_id, p_action, p_changes, p_task_id,
            v_prev, v_hash);
    -- The schema is `ws_` and the workspace id in hex.
    INSERT INTO public.history_heads AS h (workspace_id, last_id, last_hash, updated_at)
    VALUES (substr(current_schema(), 4)::uuid, v_id, v_hash, v_at)
    ON CONFLICT (workspace_id) DO UPDATE
        SET last_id = excluded.last_id, last_hash = excluded.last_hash,
            updated_at = excluded.updated_at;
END
$$;

ALTER FUNCTION history_row_change() SECURITY DEFINER SET search_path = {{tenant_role}}, pg_temp;
ALTER FUNCTION history_link_change() SECURITY DEFINER SET search_path = {{tenant_role}}, pg_temp;

-- A change of the workspace itself (its row is in the control plane, out of the triggers'
-- sight), appended by `audit::record_workspace_update` from the transaction that changed the
-- row. The workspace role may call it, so it checks what it can: the row was changed by this
-- very transaction (its xmin is ours; a workspace role cannot change that row), only the name and
-- the plan are named, and each "after" is the row's value now. The actor is checked as always.
CREATE FUNCTION history_record_workspace_update(p_workspace uuid, p_changes jsonb)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = {{tenant_role}}, pg_temp
AS $$
DECLARE
    v_name text;
    v_plan text;
    v_ours boolean;
BEGIN
    IF p_workspace IS DISTINCT FROM substr(current_schema(), 4)::uuid THEN
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
    PERFORM history_append('workspace', p_workspace, 'updated', p_changes, NULL);
END
$$;

-- Functions are executable by PUBLIC unless revoked. Trigger functions need no EXECUTE to fire.
REVOKE EXECUTE ON FUNCTION history_actor() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION history_append(text, uuid, text, jsonb, uuid) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION history_row_change() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION history_link_change() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION history_record_workspace_update(uuid, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION history_record_workspace_update(uuid, jsonb) TO {{tenant_role}};

-- A schema migrated with events already in it publishes its current head.
INSERT INTO public.history_heads AS h (workspace_id, last_id, last_hash)
SELECT substr(current_schema(), 4)::uuid, id, hash FROM history ORDER BY id DESC LIMIT 1
ON CONFLICT (workspace_id) DO UPDATE
    SET last_id = excluded.last_id, last_hash = excluded.last_hash, updated_at = now();
