-- Saved views of the task list (issue 20): a name and the list's query string (filters, sort,
-- visible columns), kept by the person who saved it, or shared with the workspace's admins and
-- members. A preference, not work data: no history of its own (applying one reads tasks through
-- the visibility rule like any list).
CREATE TABLE saved_views (
    id uuid PRIMARY KEY,
    owner_id uuid NOT NULL,
    name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 80 AND name = btrim(name)),
    -- Canonical: known keys only, in a fixed order, checked by `work::views::check_query`.
    query text NOT NULL CHECK (char_length(query) <= 2000),
    shared boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX saved_views_owner_name ON saved_views (owner_id, lower(name));
