-- Envelope encryption: each workspace's data key, stored only wrapped (Fernet-encrypted) under the
-- master key ring, which lives outside the database. Deleting a row destroys the key, and with it
-- every copy of the workspace's secrets, backups included (crypto-shredding).
-- Like every control-plane table, unreachable from workspace roles.
CREATE TABLE workspace_keys (
    workspace_id uuid PRIMARY KEY REFERENCES workspaces ON DELETE CASCADE,
    wrapped text NOT NULL,
    -- The fresh key of a data-key rotation in progress: new secrets use it, both keys decrypt.
    next_wrapped text,
    created_at timestamptz NOT NULL DEFAULT now(),
    -- When the data key was last replaced; null while it is the original one.
    rotated_at timestamptz
);

-- Data-key rotation runs, so that an interrupted `bastion keys rotate --data` resumes its run
-- instead of rotating the workspaces it had already finished once more.
CREATE TABLE data_key_rotations (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);
