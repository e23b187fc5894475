-- A task's rank (its place in a board column, tenant migration 0015) is not part of its history:
-- an order-only move is how someone arranges the board, like sorting a list, and an event (and a
-- webhook) per drag would bury the changes of the work; a column's occasional renumbering would
-- write one per card. So `row_event` leaves `rank` out of a task's row before comparing and
-- recording it: a change of the rank alone writes no event, and a move to another column writes
-- the status change exactly as an edit of the status does. Otherwise as in 0014.
SET LOCAL ROLE bastion_tenant_owner;

CREATE OR REPLACE FUNCTION bastion_history.row_event(
    p_schema text, p_op text, p_entity_type text, p_old jsonb, p_new jsonb
) RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_row jsonb;
    v_changes jsonb;
    v_action text;
    v_task uuid;
    v_old jsonb := p_old;
    v_new jsonb := p_new;
BEGIN
    IF p_entity_type = 'task' THEN
        v_old := v_old - 'rank';
        v_new := v_new - 'rank';
    END IF;
    IF p_op = 'INSERT' THEN
        v_row := v_new;
        v_changes := v_row;
        v_action := 'created';
    ELSIF p_op = 'UPDATE' THEN
        v_row := v_new;
        v_changes := bastion_history.diff(v_old, v_row);
        IF v_changes = '{}'::jsonb THEN
            RETURN; -- nothing changed: no event
        END IF;
        v_action := 'updated';
    ELSE
        v_row := v_old;
        v_changes := v_row;
        v_action := 'deleted';
    END IF;
    v_task := CASE p_entity_type
        WHEN 'task' THEN (v_row ->> 'id')::uuid
        WHEN 'tag' THEN NULL
        ELSE (v_row ->> 'task_id')::uuid
    END;
    PERFORM bastion_history.append(p_schema, p_entity_type, (v_row ->> 'id')::uuid, v_action,
                                   v_changes, v_task);
END
$$;

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA bastion_history FROM PUBLIC;
RESET ROLE;
