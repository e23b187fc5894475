-- Passkeys (WebAuthn, issue 17): a sign-in without a password, and a second factor after one.

-- An account's passkeys. `credential` is the credential as webauthn-rs keeps it (JSON): the
-- credential id, the public key, the signature counter and the flags the authenticator gave.
-- A public key is no secret; the private key never leaves the authenticator. The credential
-- id is unique across accounts: one authenticator credential belongs to one account.
CREATE TABLE passkeys (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id bytea NOT NULL UNIQUE,
    credential jsonb NOT NULL,
    name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 60),
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz
);
CREATE INDEX passkeys_user ON passkeys (user_id);

-- A ceremony halfway: the options went to the browser, its answer has not come back. The
-- state is the library's (the challenge it expects, the credentials it allows); the client
-- holds a random id of which only the SHA-256 is here. Single use and five minutes: finishing
-- deletes the row first, so a challenge answered twice (a replay) finds nothing. `user_id` is
-- NULL for a sign-in with a passkey (the passkey says who it is); set for adding a passkey and
-- for the second step of a password sign-in.
CREATE TABLE passkey_ceremonies (
    id uuid PRIMARY KEY,
    token_hash bytea NOT NULL UNIQUE,
    purpose text NOT NULL CHECK (purpose IN ('register', 'sign_in', 'second_factor')),
    user_id uuid REFERENCES users (id) ON DELETE CASCADE,
    state jsonb NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX passkey_ceremonies_expiry ON passkey_ceremonies (expires_at);

ALTER TABLE sessions
    DROP CONSTRAINT sessions_factor_check,
    ADD CONSTRAINT sessions_factor_check
        CHECK (factor IN ('password', 'totp', 'recovery_code', 'passkey', 'password_passkey'));

ALTER TABLE account_events
    DROP CONSTRAINT account_events_kind_check,
    ADD CONSTRAINT account_events_kind_check CHECK (kind IN ('two_factor_enabled',
        'two_factor_disabled', 'recovery_code_used', 'recovery_codes_regenerated',
        'passkey_added', 'passkey_removed', 'passkey_used'));

-- The serving login adds, uses (counter, last use) and removes passkeys; ceremonies are
-- written once and deleted when finished or stale.
GRANT SELECT, INSERT, UPDATE, DELETE ON passkeys TO bastion_serving;
GRANT SELECT, INSERT, DELETE ON passkey_ceremonies TO bastion_serving;
