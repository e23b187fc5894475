-- Two-factor sign-in (issue 17): TOTP (RFC 6238) with single-use recovery codes.

-- The authenticator secret of an account, sealed (a Fernet token) under the master key ring, like
-- pending signups and mail bodies: a dump alone opens nothing, and `bastion keys rotate`
-- re-seals it. `confirmed_at` is NULL while enrolment waits for its first code; `last_step` is
-- the RFC 6238 time step of the last code accepted, so a code (and any older one) is accepted
-- once.
CREATE TABLE user_totp (
    user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret_sealed text NOT NULL,
    confirmed_at timestamptz,
    last_step bigint,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Ten single-use recovery codes per account, shown once. Only a SHA-256 of the user id and the
-- code is kept (80 random bits: no slow hash needed; docs/architecture.md, "Two-factor").
CREATE TABLE recovery_codes (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash bytea NOT NULL,
    used_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, code_hash)
);

-- A sign-in halfway: the password was right, the second factor is still owed. The browser or
-- client holds a random challenge; only its SHA-256 is here. Five minutes, five codes.
CREATE TABLE pending_sign_ins (
    id uuid PRIMARY KEY,
    token_hash bytea NOT NULL UNIQUE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL,
    attempts int NOT NULL DEFAULT 0
);
CREATE INDEX pending_sign_ins_user ON pending_sign_ins (user_id);

-- Which proof opened each session, shown beside it on the account page.
ALTER TABLE sessions
    ADD COLUMN factor text NOT NULL DEFAULT 'password'
        CHECK (factor IN ('password', 'totp', 'recovery_code'));

-- The account's own security record (two-factor turned on or off, recovery codes used or
-- renewed): account events belong to no workspace, so they are not in a workspace's history.
-- The serving login may add and read, never change or remove.
CREATE TABLE account_events (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('two_factor_enabled', 'two_factor_disabled',
        'recovery_code_used', 'recovery_codes_regenerated')),
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX account_events_user ON account_events (user_id, at DESC);

GRANT SELECT, INSERT, UPDATE, DELETE ON user_totp, recovery_codes, pending_sign_ins TO bastion_serving;
GRANT SELECT, INSERT ON account_events TO bastion_serving;
