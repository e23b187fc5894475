-- Every workspace role belongs to `bastion_tenants`, a role that holds no privilege: it is the
-- list of roles the set_user extension may switch the serving login into
-- (`set_user.nosuperuser_target_allowlist = '+bastion_tenants'`), so that the serving login can
-- become a workspace role and nothing else. The extension asks whether the target has the
-- group's privileges, so workspace roles inherit (there is nothing to inherit).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bastion_tenants') THEN
        CREATE ROLE bastion_tenants NOLOGIN;
    END IF;
END
$$;
DO $$
DECLARE
    role_name text;
BEGIN
    FOR role_name IN SELECT 'ws_' || replace(id::text, '-', '') FROM workspaces LOOP
        EXECUTE format('ALTER ROLE %I INHERIT', role_name);
        EXECUTE format('GRANT bastion_tenants TO %I', role_name);
    END LOOP;
END
$$;
