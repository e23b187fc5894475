-- Workspace-enforced two-factor sign-in (issue 17): an admin may require every member to have
-- two-factor sign-in on before they reach anything in the workspace.
ALTER TABLE workspaces ADD COLUMN require_two_factor boolean NOT NULL DEFAULT false;

-- The enforcement is a change of the workspace recorded in its history, like the name and the
-- plan: the shared recorder (migration 0014) now allows that field too, with the same check that
-- the event says what the changing transaction wrote.
SET LOCAL ROLE bastion_tenant_owner;

CREATE OR REPLACE FUNCTION bastion_history.record_workspace_update(
    p_schema text, p_workspace uuid, p_changes jsonb
) RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_name text;
    v_plan text;
    v_require boolean;
    v_ours boolean;
BEGIN
    IF p_workspace IS DISTINCT FROM substr(p_schema, 4)::uuid THEN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = 'history: a workspace event names another workspace';
    END IF;
    SELECT w.name, w.plan, w.require_two_factor, w.xmin = pg_current_xact_id()::xid
      INTO v_name, v_plan, v_require, v_ours
      FROM public.workspaces w WHERE w.id = p_workspace;
    IF NOT coalesce(v_ours, false) THEN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = 'history: a workspace event is recorded only by the transaction that changed the workspace';
    END IF;
    IF jsonb_typeof(p_changes) IS DISTINCT FROM 'object' OR p_changes = '{}'::jsonb
       OR EXISTS (SELECT 1 FROM jsonb_object_keys(p_changes) k
                   WHERE k NOT IN ('name', 'plan', 'require_two_factor'))
       OR (p_changes ? 'name' AND p_changes #>> '{name,after}' IS DISTINCT FROM v_name)
       OR (p_changes ? 'plan' AND p_changes #>> '{plan,after}' IS DISTINCT FROM v_plan)
       OR (p_changes ? 'require_two_factor'
           AND p_changes #> '{require_two_factor,after}' IS DISTINCT FROM to_jsonb(v_require)) THEN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = 'history: the workspace event does not match the workspace as changed';
    END IF;
    PERFORM bastion_history.append(p_schema, 'workspace', p_workspace, 'updated', p_changes, NULL);
END
$$;
RESET ROLE;
