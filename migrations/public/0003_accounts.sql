-- People and their sessions. Users are global (one login across workspaces); what a user may do
-- inside a workspace is decided by the workspace's own `members` table, read on every request.

CREATE TABLE users (
    id uuid PRIMARY KEY,
    email text NOT NULL CHECK (email = lower(email) AND position('@' IN email) > 1),
    name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    password_hash text NOT NULL,
    locale text NOT NULL DEFAULT 'en' CHECK (locale IN ('en', 'nl-BE', 'fr-BE', 'de-BE')),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (email);

-- A directory for sign-in and switching only: which workspaces a user belongs to. Roles and
-- activity live in the workspace schema and are authoritative.
CREATE TABLE workspace_directory (
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX workspace_directory_user ON workspace_directory (user_id);

-- Server-side sessions. Only a SHA-256 of the cookie value is stored, so a database dump holds
-- no usable session.
CREATE TABLE sessions (
    id uuid PRIMARY KEY,
    token_hash bytea NOT NULL UNIQUE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    idle_expires_at timestamptz NOT NULL,
    absolute_expires_at timestamptz NOT NULL,
    user_agent text
);
CREATE INDEX sessions_user ON sessions (user_id);
