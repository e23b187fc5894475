-- Outgoing mail may hold a one-time code or an invitation link: from now on its body is sealed
-- (a Fernet token under the master key ring, which lives outside the database) until it is sent,
-- when it is emptied. Rows queued before this migration stay readable as they were (`sealed`
-- false) and are sent as before.
ALTER TABLE outbox ADD COLUMN sealed boolean NOT NULL DEFAULT false;

-- Mail about a workspace (an invitation names it and its invitee) goes with the workspace when
-- it is erased, sent or not: erasure leaves nothing of a workspace in the control plane but its
-- receipt.
ALTER TABLE outbox ADD COLUMN workspace_id uuid REFERENCES workspaces (id) ON DELETE CASCADE;
CREATE INDEX outbox_workspace ON outbox (workspace_id) WHERE workspace_id IS NOT NULL;
