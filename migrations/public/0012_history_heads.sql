-- What the history of every workspace (tenant migration 0004) leans on outside its own schema,
-- where a workspace role cannot write (tenant migration 0007 uses both tables):
--
-- * `history_claim_key`: the key the application signs the actor of a tenant transaction with
--   (`bastion.actor`, `crates/core/src/privacy/actor_claim.rs`) and the history trigger checks
--   the signature against. Workspace roles have no access to the control plane, so SQL injected
--   into a tenant transaction can neither read it nor invent a claim.
-- * `history_heads`: the newest event of each workspace's chain, written by the owner-run append
--   in the same transaction as the event. `bastion audit verify` compares the chain's end with
--   it, so removing the newest events (which leaves a shorter chain that is itself consistent) is
--   detected.
--
-- pgcrypto supplies hmac() and gen_random_bytes(); it is a trusted extension, so the database's
-- owner creates it without being a superuser.
CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public;

-- The owner role runs the history triggers (SECURITY DEFINER): it reaches exactly these objects
-- of the control plane, and pgcrypto's functions.
GRANT USAGE ON SCHEMA public TO bastion_tenant_owner;

-- One key for the whole installation: the claim names the workspace schema inside the signed
-- text, so a claim made for one workspace is refused in every other.
CREATE TABLE history_claim_key (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    key bytea NOT NULL CHECK (length(key) = 32)
);
INSERT INTO history_claim_key (key) VALUES (gen_random_bytes(32));
REVOKE ALL ON history_claim_key FROM PUBLIC;
GRANT SELECT ON history_claim_key TO bastion_tenant_owner;

CREATE TABLE history_heads (
    workspace_id uuid PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    last_id bigint NOT NULL,
    last_hash bytea NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON history_heads FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE ON history_heads TO bastion_tenant_owner;

-- A workspace event (a plan or name change) is accepted only from the transaction that changed
-- the workspace row, with the values now in it: the owner-run function reads them here.
GRANT SELECT ON workspaces TO bastion_tenant_owner;
