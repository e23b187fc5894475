-- Workspace roles get no TEMPORARY privilege: a temporary table lives for the whole session and
-- could outlast the tenant transaction that made it, on a pooled connection another workspace
-- uses next. The login role keeps it as the database's owner.
DO $$
BEGIN
    EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
END
$$;
