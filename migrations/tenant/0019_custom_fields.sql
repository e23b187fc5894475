-- Custom fields (issue 20): fields a project's admins define (text, number, € amount, date,
-- single select, multi-select, person) and the values members fill in on its tasks
-- (`work::fields`). A value is an event of its task's history; defining, changing or deleting
-- a field is an event of the workspace's history (no task: the `tag` rule of `row_event`).

ALTER TABLE history
    DROP CONSTRAINT history_entity_type_check,
    ADD CONSTRAINT history_entity_type_check CHECK (entity_type IN
        ('task', 'comment', 'time_entry', 'attachment', 'tag', 'workspace', 'webhook_endpoint',
         'checklist_item', 'task_relation', 'task_recurrence', 'custom_field', 'field_value'));

CREATE TABLE custom_fields (
    id uuid PRIMARY KEY,
    project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 60 AND name = btrim(name)),
    kind text NOT NULL
        CHECK (kind IN ('text', 'number', 'money', 'date', 'select', 'multi_select', 'person')),
    -- The choices of a select or multi-select field, in the order they are offered; values
    -- hold the option's text, so an option in use cannot be removed (the core checks).
    options text[] NOT NULL DEFAULT '{}' CHECK (cardinality(options) <= 50),
    position integer NOT NULL,
    created_by uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (project_id, position),
    CHECK ((kind IN ('select', 'multi_select')) = (cardinality(options) > 0))
);
CREATE UNIQUE INDEX custom_fields_name_idx ON custom_fields (project_id, lower(name));
CREATE TRIGGER custom_fields_history AFTER INSERT OR UPDATE OR DELETE ON custom_fields
    FOR EACH ROW EXECUTE FUNCTION bastion_history.row_change('custom_field');

-- One value per task and field, in the column of the field's kind: text and single select in
-- `value_text`, numbers in `value_number` (exact decimals), € amounts in whole cents, dates as
-- Brussels calendar dates, multi-select options, a person's user id. Clearing a value deletes
-- the row. A task moved to another project keeps no value of its old project's fields (the
-- core deletes them in the move's transaction, each an event).
CREATE TABLE task_field_values (
    id uuid PRIMARY KEY,
    task_id uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    field_id uuid NOT NULL REFERENCES custom_fields (id) ON DELETE CASCADE,
    value_text text CHECK (char_length(value_text) BETWEEN 1 AND 500),
    value_number numeric CHECK (abs(value_number) < 1e15),
    value_cents bigint,
    value_date date,
    value_options text[] CHECK (cardinality(value_options) BETWEEN 1 AND 50),
    value_person uuid,
    updated_by uuid NOT NULL,
    UNIQUE (task_id, field_id),
    CHECK (num_nonnulls(value_text, value_number, value_cents, value_date, value_options,
                        value_person) = 1)
);
-- Sorting and filtering a list by a field reads its values by field.
CREATE INDEX task_field_values_field_idx ON task_field_values (field_id);
CREATE TRIGGER task_field_values_history AFTER INSERT OR UPDATE OR DELETE ON task_field_values
    FOR EACH ROW EXECUTE FUNCTION bastion_history.row_change('field_value');
