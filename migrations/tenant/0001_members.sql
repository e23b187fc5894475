-- The people of one workspace. Users live in the control plane; `user_id` is a plain uuid so the
-- schema stays self-contained (no foreign key leaves it) and can move to another node as a unit.
CREATE TABLE members (
    user_id uuid PRIMARY KEY,
    role text NOT NULL CHECK (role IN ('admin', 'member', 'guest')),
    active boolean NOT NULL DEFAULT true,
    joined_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE projects (
    id uuid PRIMARY KEY,
    name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    archived boolean NOT NULL DEFAULT false,
    created_by uuid,
    created_at timestamptz NOT NULL DEFAULT now()
);
