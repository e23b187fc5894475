-- Recurring tasks (issue 20): a rule on a task says when its next occurrence is due; the
-- occurrence is a new task, and the rule moves on to it (`work::recurrence`).

ALTER TABLE history
    DROP CONSTRAINT history_entity_type_check,
    ADD CONSTRAINT history_entity_type_check CHECK (entity_type IN
        ('task', 'comment', 'time_entry', 'attachment', 'tag', 'workspace', 'webhook_endpoint',
         'checklist_item', 'task_relation', 'task_recurrence'));

-- The task an occurrence was made from. Unique: a task begets at most one next occurrence, so
-- a job retried after a crash, two processes sweeping at once, or the "done" path racing the
-- "date" path can never make two. Deleting the source leaves the occurrence (its history keeps
-- the id).
ALTER TABLE tasks ADD COLUMN recurred_from uuid REFERENCES tasks (id) ON DELETE SET NULL;
CREATE UNIQUE INDEX tasks_recurred_from_idx ON tasks (recurred_from) WHERE recurred_from IS NOT NULL;

-- One rule per task. Dates are Brussels calendar dates (`date`, never instants), so a
-- summer-time change cannot move an occurrence to another day. `weekdays` is a bit set,
-- Monday = 1, Tuesday = 2, … Sunday = 64.
CREATE TABLE task_recurrences (
    id uuid PRIMARY KEY,
    task_id uuid NOT NULL UNIQUE REFERENCES tasks (id) ON DELETE CASCADE,
    unit text NOT NULL CHECK (unit IN ('days', 'weeks', 'months')),
    every smallint NOT NULL CHECK (every BETWEEN 1 AND 99),
    weekdays smallint CHECK (weekdays BETWEEN 1 AND 127),
    month_day smallint CHECK (month_day BETWEEN 1 AND 31),
    last_working_day boolean NOT NULL DEFAULT false,
    trigger text NOT NULL CHECK (trigger IN ('on_done', 'on_date')),
    next_on date NOT NULL,
    created_by uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((unit = 'weeks') = (weekdays IS NOT NULL)),
    CHECK (unit = 'months' OR (month_day IS NULL AND NOT last_working_day)),
    CHECK (unit <> 'months' OR ((month_day IS NOT NULL) <> last_working_day))
);
-- The sweep reads the rules whose date has come.
CREATE INDEX task_recurrences_due_idx ON task_recurrences (next_on) WHERE trigger = 'on_date';
CREATE TRIGGER task_recurrences_history AFTER INSERT OR UPDATE OR DELETE ON task_recurrences
    FOR EACH ROW EXECUTE FUNCTION bastion_history.row_change('task_recurrence');
