-- Task visibility is written out in every query (`work::VISIBLE` in crates/core): PostgreSQL
-- never inlined this function (its body holds sub-selects), so it ran once per scanned row.
-- Dropping it leaves one definition of the rule.
DROP FUNCTION task_visible(uuid, boolean, uuid, uuid, uuid, text);
