-- The control plane: what must be known before a request can be routed to a workspace schema.
-- Workspace content never lives here.

-- Workspace roles get nothing from PUBLIC: no route into the control plane by default grants.
REVOKE ALL ON SCHEMA public FROM PUBLIC;

-- Owns every object inside workspace schemas, so the login role that serves requests owns none
-- of them and a workspace role can never act as their owner.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bastion_tenant_owner') THEN
        CREATE ROLE bastion_tenant_owner NOLOGIN;
    END IF;
END
$$;
GRANT bastion_tenant_owner TO CURRENT_USER;
DO $$
BEGIN
    EXECUTE format('GRANT CREATE ON DATABASE %I TO bastion_tenant_owner', current_database());
END
$$;

CREATE TABLE workspaces (
    id uuid PRIMARY KEY,
    slug text NOT NULL UNIQUE
        CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$'),
    name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    plan text NOT NULL DEFAULT 'starter' CHECK (plan IN ('starter', 'pro', 'business')),
    -- Highest tenant migration applied to this workspace's schema; the schema's own
    -- _bastion_migrations table is the truth, this copy makes a no-op `bastion migrate` one query.
    schema_version bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
);
