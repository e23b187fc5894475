-- API tokens for integrators: one user acting in one workspace. Only a SHA-256 of the whole
-- token is stored (like sessions), so a database dump yields no usable token; the prefix is the
-- token's first characters, enough to recognise it in a list and useless to authenticate.
-- What the token may do is never stored here: the member's role is read per request in the
-- workspace schema, so a deactivation or demotion applies to the very next request.
CREATE TABLE api_tokens (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    token_prefix text NOT NULL,
    token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    expires_at timestamptz,
    revoked_at timestamptz
);
CREATE INDEX api_tokens_owner ON api_tokens (user_id, workspace_id, created_at, id);
