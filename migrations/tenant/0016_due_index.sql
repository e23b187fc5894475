-- The calendar (issue 20) reads a workspace's tasks by due date, a month at a time; the
-- due-tomorrow reminders read one day. Only tasks with a due date are indexed.
CREATE INDEX tasks_due_idx ON tasks (due_on) WHERE due_on IS NOT NULL;
