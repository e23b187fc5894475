-- A signup waits here until its email is confirmed with a 6-digit code. Everything the person
-- typed (email, name, password hash, workspace name) is one Fernet token under the master key:
-- a database dump shows neither who is signing up nor their password hash. The digest of the
-- email only lets a newer signup for the same address replace an older one.
CREATE TABLE pending_signups (
    id uuid PRIMARY KEY,
    email_digest bytea NOT NULL UNIQUE,
    payload text NOT NULL CHECK (payload LIKE 'gAAAAA%'),
    code_hash bytea NOT NULL,
    salt bytea NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    used boolean NOT NULL DEFAULT false,
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- An invitation is a link with a random token sent to one address; only its SHA-256 is kept.
-- It lives in the control plane because the invitee's link must find the workspace before
-- they belong to it.
CREATE TABLE invitations (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    email text NOT NULL CHECK (email = lower(email) AND position('@' IN email) > 1),
    role text NOT NULL CHECK (role IN ('admin', 'member', 'guest')),
    token_hash bytea NOT NULL UNIQUE,
    invited_by uuid REFERENCES users (id) ON DELETE SET NULL,
    expires_at timestamptz NOT NULL,
    accepted_at timestamptz,
    accepted_by uuid REFERENCES users (id) ON DELETE SET NULL,
    revoked_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
-- At most one open invitation per address and workspace: inviting again replaces the link.
CREATE UNIQUE INDEX invitations_open ON invitations (workspace_id, email)
    WHERE accepted_at IS NULL AND revoked_at IS NULL;
