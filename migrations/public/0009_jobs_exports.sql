-- Background jobs shared by every app server. A job is leased by one process at a time: the
-- runner picks it with FOR UPDATE SKIP LOCKED and stamps a fresh lease token and an expiry. A
-- process that dies mid-job stops renewing its lease; once it expires another process takes the
-- job over (with a new token), and anything the dead one might still write is refused because
-- its token no longer matches.
CREATE TABLE jobs (
    id uuid PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('export')),
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    requested_by uuid REFERENCES users (id) ON DELETE SET NULL,
    state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    lease_token uuid,
    leased_until timestamptz,
    progress_done bigint NOT NULL DEFAULT 0,
    progress_total bigint NOT NULL DEFAULT 0,
    -- Why the last attempt failed, for the operator's log; never shown with detail to users.
    error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    -- A finished export's archive is deleted (and the job with it) after this instant.
    expires_at timestamptz
);
CREATE INDEX jobs_runnable ON jobs (created_at) WHERE state IN ('queued', 'running');
CREATE INDEX jobs_workspace ON jobs (workspace_id, created_at DESC);

-- What is left of an erased workspace: the proof that it was erased, when and at whose request.
-- No foreign key: the workspace and possibly the requester are gone. `requested_by` is a user id
-- or 'system' (the operator's command line). Object storage is purged after the database
-- transaction commits; `storage_purged_at` stays null until it is, so the job runner can finish
-- a purge that a crash interrupted.
CREATE TABLE erasure_receipts (
    workspace_id uuid PRIMARY KEY,
    slug text NOT NULL,
    erased_at timestamptz NOT NULL DEFAULT now(),
    requested_by text NOT NULL,
    storage_purged_at timestamptz
);
