-- The history triggers call the functions shared by every workspace (control-plane migration
-- 0014 says why), and this schema's own copies go. `history_content` stays: `bastion audit
-- verify` recomputes hashes with it, and the shared append hashes with this schema's copy.
-- `history_record_workspace_update` stays the one entry a workspace role may call, now a
-- one-line SQL function that names this schema (its pinned search path) to the shared one.
CREATE OR REPLACE TRIGGER tasks_history AFTER INSERT OR UPDATE OR DELETE ON tasks
    FOR EACH ROW EXECUTE FUNCTION bastion_history.row_change('task');
CREATE OR REPLACE TRIGGER comments_history AFTER INSERT OR UPDATE OR DELETE ON comments
    FOR EACH ROW EXECUTE FUNCTION bastion_history.row_change('comment');
CREATE OR REPLACE TRIGGER time_entries_history AFTER INSERT OR UPDATE OR DELETE ON time_entries
    FOR EACH ROW EXECUTE FUNCTION bastion_history.row_change('time_entry');
CREATE OR REPLACE TRIGGER attachments_history AFTER INSERT OR UPDATE OR DELETE ON attachments
    FOR EACH ROW EXECUTE FUNCTION bastion_history.row_change('attachment');
CREATE OR REPLACE TRIGGER tags_history AFTER INSERT OR UPDATE OR DELETE ON tags
    FOR EACH ROW EXECUTE FUNCTION bastion_history.row_change('tag');
CREATE OR REPLACE TRIGGER task_tags_history AFTER INSERT OR DELETE ON task_tags
    FOR EACH ROW EXECUTE FUNCTION bastion_history.link_change('tag', 'tag_id');
CREATE OR REPLACE TRIGGER task_viewers_history AFTER INSERT OR DELETE ON task_viewers
    FOR EACH ROW EXECUTE FUNCTION bastion_history.link_change('viewer', 'user_id');

DROP FUNCTION history_row_change();
DROP FUNCTION history_link_change();
DROP FUNCTION history_record_workspace_update(uuid, jsonb);
DROP FUNCTION history_append(text, uuid, text, jsonb, uuid);
DROP FUNCTION history_actor();
DROP FUNCTION history_diff(jsonb, jsonb);

CREATE FUNCTION history_record_workspace_update(p_workspace uuid, p_changes jsonb)
RETURNS void
LANGUAGE sql
SECURITY DEFINER
SET search_path = {{tenant_role}}, pg_temp
AS $$ SELECT bastion_history.record_workspace_update(current_schema(), p_workspace, p_changes) $$;
REVOKE EXECUTE ON FUNCTION history_record_workspace_update(uuid, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION history_record_workspace_update(uuid, jsonb) TO {{tenant_role}};
