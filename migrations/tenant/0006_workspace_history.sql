-- Changes of the workspace itself are events of its own history too: a plan change decides how
-- long the rest of the history is kept, so it must be on record. The plan lives in the control
-- plane, out of the triggers' sight; `workspaces::change_settings` appends the event through
-- `history_append` in the change's own transaction, as an update of the entity 'workspace'
-- (entity_id: the workspace id; changes: {"plan": {"before": …, "after": …}}).
ALTER TABLE history
    DROP CONSTRAINT history_entity_type_check,
    ADD CONSTRAINT history_entity_type_check CHECK (entity_type IN
        ('task', 'comment', 'time_entry', 'attachment', 'tag', 'workspace'));
