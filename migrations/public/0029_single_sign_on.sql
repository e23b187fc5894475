-- Single sign-on with OpenID Connect per workspace (issue 17). The configuration lives in the
-- control plane: sign-in has to find the workspace (by the email's domain or a link) before any
-- workspace is entered, and the password sign-in has to know whether an account's workspaces
-- allow passwords at all. The client secret is sealed under the master key ring (a Fernet
-- token, like authenticator secrets) and re-sealed by `bastion keys rotate`.
CREATE TABLE workspace_sso (
    workspace_id uuid PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    enabled boolean NOT NULL DEFAULT false,
    issuer text NOT NULL CHECK (char_length(issuer) BETWEEN 1 AND 2000),
    client_id text NOT NULL CHECK (char_length(client_id) BETWEEN 1 AND 500),
    client_secret_sealed text NOT NULL CHECK (client_secret_sealed LIKE 'gAAAAA%'),
    -- Counts the secrets given, so that history records a new secret without the secret.
    client_secret_version integer NOT NULL DEFAULT 1,
    -- The domains whose addresses sign in here, lower case and sorted; a domain belongs to one
    -- workspace at most (checked by `sso::configure` under a lock of this table).
    email_domains text[] NOT NULL CHECK (cardinality(email_domains) <= 20),
    -- A verified address of a claimed domain without a membership joins as a member.
    allow_join boolean NOT NULL DEFAULT false,
    -- Members may not sign in with a password or a passkey, except the break-glass admin.
    sso_only boolean NOT NULL DEFAULT false,
    break_glass_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX workspace_sso_domains ON workspace_sso USING gin (email_domains);

-- One row per sign-in sent to a provider, found again by the SHA-256 of the `state` the
-- browser brings back (and holds in a cookie, so that nobody can finish a sign-in they did not
-- start in that browser). Ten minutes, deleted when used: a `state` counts once. The PKCE
-- verifier and the nonce are single-use values worth nothing after the ten minutes.
CREATE TABLE sso_sign_ins (
    state_hash bytea PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    nonce text NOT NULL,
    code_verifier text NOT NULL,
    redirect_uri text NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX sso_sign_ins_expiry ON sso_sign_ins (expires_at);

ALTER TABLE sessions
    DROP CONSTRAINT sessions_factor_check,
    ADD CONSTRAINT sessions_factor_check
        CHECK (factor IN ('password', 'totp', 'recovery_code', 'passkey', 'password_passkey',
                          'sso'));

GRANT SELECT ON workspace_sso TO bastion_serving;
GRANT SELECT, INSERT, DELETE ON sso_sign_ins TO bastion_serving;
-- The history recorder below (owned by bastion_tenant_owner) reads the row it checks.
GRANT SELECT ON workspace_sso TO bastion_tenant_owner;

-- A change of the single sign-on settings is an event of the workspace's history, checked like
-- the others: the event's `sso.after` must be the row as this transaction wrote it (never the
-- secret: its version only).
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
    v_sso jsonb;
BEGIN
    IF p_workspace IS DISTINCT FROM substr(p_schema, 4)::uuid THEN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = 'history: a workspace event names another workspace';
    END IF;
    SELECT w.name, w.plan, w.require_two_factor, w.xmin = pg_current_xact_id()::xid
      INTO v_name, v_plan, v_require, v_ours
      FROM public.workspaces w WHERE w.id = p_workspace;
    SELECT jsonb_build_object('enabled', s.enabled, 'issuer', s.issuer,
                              'client_id', s.client_id,
                              'client_secret_version', s.client_secret_version,
                              'email_domains', to_jsonb(s.email_domains),
                              'allow_join', s.allow_join, 'sso_only', s.sso_only,
                              'break_glass_user_id', s.break_glass_user_id)
      INTO v_sso
      FROM public.workspace_sso s
     WHERE s.workspace_id = p_workspace AND s.xmin = pg_current_xact_id()::xid;
    IF (p_changes ?| ARRAY['name', 'plan', 'require_two_factor'] AND NOT coalesce(v_ours, false))
       OR (p_changes ? 'sso' AND v_sso IS NULL) THEN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = 'history: a workspace event is recorded only by the transaction that changed the workspace';
    END IF;
    IF jsonb_typeof(p_changes) IS DISTINCT FROM 'object' OR p_changes = '{}'::jsonb
       OR EXISTS (SELECT 1 FROM jsonb_object_keys(p_changes) k
                   WHERE k NOT IN ('name', 'plan', 'require_two_factor', 'sso'))
       OR (p_changes ? 'name' AND p_changes #>> '{name,after}' IS DISTINCT FROM v_name)
       OR (p_changes ? 'plan' AND p_changes #>> '{plan,after}' IS DISTINCT FROM v_plan)
       OR (p_changes ? 'require_two_factor'
           AND p_changes #> '{require_two_factor,after}' IS DISTINCT FROM to_jsonb(v_require))
       OR (p_changes ? 'sso' AND p_changes #> '{sso,after}' IS DISTINCT FROM v_sso) THEN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = 'history: the workspace event does not match the workspace as changed';
    END IF;
    PERFORM bastion_history.append(p_schema, 'workspace', p_workspace, 'updated', p_changes, NULL);
END
$$;
RESET ROLE;
