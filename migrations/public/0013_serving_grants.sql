-- Two logins: the provisioning login (this migration's runner) owns the control plane; the
-- login that serves requests owns nothing and gets, through the NOLOGIN role bastion_serving,
-- exactly the rights on the control plane that serving uses. Creating, changing and erasing
-- workspaces, memberships, key rotation and the audit purge run as the provisioning login.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bastion_serving') THEN
        CREATE ROLE bastion_serving NOLOGIN NOINHERIT;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO bastion_serving;

-- Accounts and sign-in.
GRANT SELECT, INSERT ON users TO bastion_serving;
GRANT UPDATE (password_hash) ON users TO bastion_serving;
GRANT SELECT, INSERT, UPDATE, DELETE ON sessions TO bastion_serving;
GRANT SELECT, INSERT, UPDATE, DELETE ON rate_limits, account_locks TO bastion_serving;
GRANT SELECT, INSERT, UPDATE ON password_resets TO bastion_serving;
GRANT SELECT, INSERT, UPDATE, DELETE ON pending_signups TO bastion_serving;
GRANT SELECT, INSERT, UPDATE ON api_tokens TO bastion_serving;
GRANT SELECT, INSERT, UPDATE ON invitations TO bastion_serving;

-- Routing: which workspace a request names, and who belongs where (read only: changing it
-- changes a workspace too, which is the provisioning login's).
GRANT SELECT ON workspaces, workspace_directory, erasure_receipts TO bastion_serving;
-- The start-up check that every data key unwraps.
GRANT SELECT (workspace_id, wrapped, next_wrapped) ON workspace_keys TO bastion_serving;

-- Mail and background jobs.
GRANT SELECT, INSERT, UPDATE ON outbox TO bastion_serving;
GRANT SELECT, INSERT, UPDATE, DELETE ON jobs TO bastion_serving;

-- History (control-plane migration 0012): the key the serving login signs each tenant
-- transaction's actor claim with, and the published chain heads `bastion audit verify` reads.
-- Neither is writable by it; workspace roles reach neither.
GRANT SELECT ON history_claim_key, history_heads TO bastion_serving;
