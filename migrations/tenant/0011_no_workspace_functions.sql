-- The last two functions of a workspace schema go; their shared versions live in
-- `bastion_history` (control-plane migration 0018 says why: a function per schema made every
-- lookup of that name cost O(workspaces)). The history triggers already call shared functions.
DROP FUNCTION history_record_workspace_update(uuid, jsonb);
DROP FUNCTION history_content(bigint, timestamptz, text, text, uuid, text, jsonb, uuid);
