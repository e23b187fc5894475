-- The work model of issue 20: task keys (a per-project prefix and number), subtasks, checklists
-- and relations between tasks.

ALTER TABLE history
    DROP CONSTRAINT history_entity_type_check,
    ADD CONSTRAINT history_entity_type_check CHECK (entity_type IN
        ('task', 'comment', 'time_entry', 'attachment', 'tag', 'workspace', 'webhook_endpoint',
         'checklist_item', 'task_relation'));

-- Keys: `ACME-142` is the project's prefix and the task's number in it. The number is issued
-- from the project's counter, `last_task_number`, incremented by the transaction creating the
-- task: the row lock it takes serialises concurrent creations in one project, and a number
-- once issued is never issued again (the counter only grows, deleted tasks leave holes).
ALTER TABLE projects
    ADD COLUMN key_prefix text CHECK (key_prefix ~ '^[A-Z]{2,6}$'),
    ADD COLUMN last_task_number integer NOT NULL DEFAULT 0 CHECK (last_task_number >= 0);

-- Existing projects get the prefix a new project with the same name would get (the rule of
-- `work::projects::derive_prefix`: the initials of its words when it has two or more, else the
-- first four letters; `PRJ` without two letters; a letter appended while it is taken). An
-- anonymous block, run once: no function is left in the schema.
DO $$
DECLARE
    p record;
    v_words text[];
    v_base text;
    v_try text;
    v_letter int;
BEGIN
    FOR p IN SELECT id, name FROM projects ORDER BY created_at, id LOOP
        v_words := ARRAY(SELECT w FROM regexp_split_to_table(p.name, '[^A-Za-z]+') w
                          WHERE w <> '');
        IF cardinality(v_words) >= 2 THEN
            v_base := upper(left(array_to_string(ARRAY(SELECT left(w, 1)
                                                         FROM unnest(v_words) w), ''), 6));
        ELSE
            v_base := upper(left(coalesce(v_words[1], ''), 4));
        END IF;
        IF length(v_base) < 2 THEN
            v_base := 'PRJ';
        END IF;
        v_try := v_base;
        v_letter := 0;
        WHILE EXISTS (SELECT 1 FROM projects WHERE key_prefix = v_try) LOOP
            v_letter := v_letter + 1;
            v_try := CASE WHEN v_letter <= 26
                          THEN left(v_base, 5) || chr(64 + v_letter)
                          ELSE left(v_base, 4) || chr(64 + (v_letter - 1) / 26)
                               || chr(65 + (v_letter - 1) % 26) END;
        END LOOP;
        UPDATE projects SET key_prefix = v_try WHERE id = p.id;
    END LOOP;
END
$$;
ALTER TABLE projects ALTER COLUMN key_prefix SET NOT NULL;
CREATE UNIQUE INDEX projects_key_prefix_idx ON projects (key_prefix);

-- A subtask names its parent; one level only (a parent has no parent), which the core checks
-- under a lock on the parent. Deleting a parent leaves its subtasks as tasks of their own:
-- the one deleting may not see them all (a private subtask stays private).
ALTER TABLE tasks
    ADD COLUMN number integer CHECK (number > 0),
    ADD COLUMN parent_id uuid REFERENCES tasks (id) ON DELETE SET NULL,
    ADD CONSTRAINT tasks_not_own_parent CHECK (parent_id <> id);

-- Existing tasks are numbered in the order they were created. The history and webhook
-- triggers are off for this one statement: numbering is the schema gaining a column, not a
-- change anyone made to the work, and an event (and a webhook) per existing task would say so.
ALTER TABLE tasks DISABLE TRIGGER USER;
UPDATE tasks t SET number = n.rn
  FROM (SELECT id, row_number() OVER (PARTITION BY project_id ORDER BY created_at, id) AS rn
          FROM tasks) n
 WHERE n.id = t.id;
ALTER TABLE tasks ENABLE TRIGGER USER;
UPDATE projects p
   SET last_task_number = coalesce((SELECT max(t.number) FROM tasks t WHERE t.project_id = p.id), 0);
ALTER TABLE tasks ALTER COLUMN number SET NOT NULL;
CREATE UNIQUE INDEX tasks_project_number_idx ON tasks (project_id, number);
CREATE INDEX tasks_parent_idx ON tasks (parent_id) WHERE parent_id IS NOT NULL;

-- A task's checklist: ordered items, each an event of the task's history.
CREATE TABLE checklist_items (
    id uuid PRIMARY KEY,
    task_id uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    position integer NOT NULL,
    text text NOT NULL CHECK (length(btrim(text)) BETWEEN 1 AND 500),
    done boolean NOT NULL DEFAULT false,
    created_by uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (task_id, position)
);
CREATE TRIGGER checklist_items_history AFTER INSERT OR UPDATE OR DELETE ON checklist_items
    FOR EACH ROW EXECUTE FUNCTION bastion_history.row_change('checklist_item');

-- Relations, stored once and read both ways: `task_id` blocks / relates to / duplicates
-- `other_id` ("blocked by" is a `blocks` row read from the other end). The event belongs to
-- `task_id`'s history.
CREATE TABLE task_relations (
    id uuid PRIMARY KEY,
    task_id uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('blocks', 'relates_to', 'duplicates')),
    other_id uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    created_by uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (task_id <> other_id)
);
-- One relation of a kind between two tasks, whichever end it was made from.
CREATE UNIQUE INDEX task_relations_pair_idx
    ON task_relations (kind, least(task_id, other_id), greatest(task_id, other_id));
CREATE INDEX task_relations_task_idx ON task_relations (task_id);
CREATE INDEX task_relations_other_idx ON task_relations (other_id);
CREATE TRIGGER task_relations_history AFTER INSERT OR UPDATE OR DELETE ON task_relations
    FOR EACH ROW EXECUTE FUNCTION bastion_history.row_change('task_relation');
