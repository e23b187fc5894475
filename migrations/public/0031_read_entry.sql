-- The membership read of a request that only reads, in the statement that finds its caller
-- (docs/performance.md, "Reads in four round trips"). A request entering a workspace used to
-- read the member's role in a statement of its own, inside the workspace's transaction, as the
-- workspace role; a read that needs no transaction can instead have it read by the lookup that
-- already finds the session and the workspace, as the serving login, before that lookup switches
-- into the workspace role. The login cannot read a workspace's tables, so it asks this function,
-- which runs as their owner and answers one thing: the active role of one user in one workspace
-- (NULL for a non-member, an inactive one or a workspace without schema). The workspace's own
-- `members` table stays the only source: nothing is copied or cached.
--
-- Only the serving login may call it (it may already switch into any workspace role, so this
-- reveals nothing it could not read); workspace roles cannot even see the schema.
SET LOCAL ROLE bastion_tenant_owner;

CREATE SCHEMA bastion_entry AUTHORIZATION bastion_tenant_owner;

CREATE FUNCTION bastion_entry.member_role(p_workspace uuid, p_user uuid) RETURNS text
LANGUAGE plpgsql STABLE STRICT
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_role text;
BEGIN
    EXECUTE format('SELECT role FROM %I.members WHERE user_id = $1 AND active',
                   'ws_' || replace(p_workspace::text, '-', ''))
       INTO v_role
      USING p_user;
    RETURN v_role;
EXCEPTION
    -- A workspace whose schema is being erased in the same moment: nobody is a member.
    WHEN undefined_table OR invalid_schema_name THEN
        RETURN NULL;
END
$$;

REVOKE ALL ON FUNCTION bastion_entry.member_role(uuid, uuid) FROM PUBLIC;
GRANT USAGE ON SCHEMA bastion_entry TO bastion_serving;
GRANT EXECUTE ON FUNCTION bastion_entry.member_role(uuid, uuid) TO bastion_serving;
RESET ROLE;
