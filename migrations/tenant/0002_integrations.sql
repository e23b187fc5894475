-- Connections to other services and the access tokens used for outbound calls. The token is
-- stored only as a Fernet token under the workspace's data key; people recognise it by its last
-- four characters.
CREATE TABLE integrations (
    id uuid PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('github', 'gitlab', 'slack', 'webhook', 'jira')),
    name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    -- A Fernet token (version byte 0x80, base64url): a plaintext token cannot land here by mistake.
    token_ciphertext text NOT NULL CHECK (token_ciphertext LIKE 'gAAAAA%'),
    token_last4 text NOT NULL CHECK (char_length(token_last4) <= 4),
    created_by uuid,
    created_at timestamptz NOT NULL DEFAULT now()
);
