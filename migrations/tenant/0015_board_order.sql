-- The board's order (issue 15): each task has a rank, and a column shows its tasks by
-- (rank, id). Ranks are fractional (numeric): a move writes one rank, the midpoint of its new
-- neighbours, so no other card is rewritten; when two neighbours leave no room (a tie, or a
-- midpoint past 24 decimal places) the core renumbers that one column, under the same
-- per-workspace lock that serialises moves (`work::tasks::move_task`).
--
-- A new task goes to the top of its column, as the board showed newest first before: its rank
-- is minus its creation time in microseconds, below the ranks of the tasks made before it (the
-- backfill and the renumbering give positive ranks; a move to the top goes 1024 below the
-- column's first card, so only a task made within the same millisecond can land under it).
ALTER TABLE tasks
    ADD COLUMN rank numeric NOT NULL
        DEFAULT -trunc(extract(epoch FROM clock_timestamp()) * 1000000);

-- Existing tasks keep the order the board showed (newest first), 1024 apart. The history and
-- webhook triggers are off for this one statement, as in 0012: the schema gained a column,
-- nobody changed the work (and since control-plane migration 0026 a task's rank is no part of
-- its history anyway).
ALTER TABLE tasks DISABLE TRIGGER USER;
UPDATE tasks t SET rank = n.rn * 1024
  FROM (SELECT id, row_number() OVER (ORDER BY created_at DESC, id) AS rn FROM tasks) n
 WHERE n.id = t.id;
ALTER TABLE tasks ENABLE TRIGGER USER;

CREATE INDEX tasks_status_rank_idx ON tasks (status, rank, id);
