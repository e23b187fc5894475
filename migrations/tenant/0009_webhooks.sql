-- Outgoing webhooks (Standard Webhooks): endpoints, one delivery per event and endpoint, and
-- the log of every attempt. Deliveries are recorded by triggers in the transaction of the change
-- they announce (a rolled-back change announces nothing), which also queues the workspace's
-- `webhooks` job in the control plane. The functions behind the triggers are shared by every
-- workspace (control-plane migration 0015); this schema has only the tables and the triggers.

ALTER TABLE history
    DROP CONSTRAINT history_entity_type_check,
    ADD CONSTRAINT history_entity_type_check CHECK (entity_type IN
        ('task', 'comment', 'time_entry', 'attachment', 'tag', 'workspace', 'webhook_endpoint'));

CREATE TABLE webhook_endpoints (
    id uuid PRIMARY KEY,
    url text NOT NULL CHECK (char_length(url) BETWEEN 1 AND 2000),
    description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 500),
    -- Families of events: task, comment, time_entry, attachment, member.
    events text[] NOT NULL CHECK (cardinality(events) >= 1
        AND events <@ ARRAY['task', 'comment', 'time_entry', 'attachment', 'member']),
    enabled boolean NOT NULL DEFAULT true,
    -- Why it was disabled (by an admin, or by the receiver answering 410).
    disabled_reason text CHECK (char_length(disabled_reason) <= 500),
    -- `whsec_…` as a Fernet token under the workspace's data key; never stored in the clear.
    secret_ciphertext text NOT NULL CHECK (secret_ciphertext LIKE 'gAAAAA%'),
    -- Counts rotations, so that history records a rotation without the secret (a data-key
    -- rotation re-encrypts the columns above and below without changing this).
    secret_version integer NOT NULL DEFAULT 1,
    -- The secret before the last rotation, still signing beside the new one until it expires.
    previous_secret_ciphertext text CHECK (previous_secret_ciphertext LIKE 'gAAAAA%'),
    previous_secret_expires_at timestamptz,
    created_by uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhook_deliveries (
    id uuid PRIMARY KEY,
    -- The message id (`webhook-id`): the same for every attempt, and for every endpoint told of
    -- the same event.
    event_id uuid NOT NULL,
    endpoint_id uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_type text NOT NULL,
    -- The exact body signed and sent, so every attempt sends the same bytes.
    payload text NOT NULL,
    status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz,
    -- A runner sending it holds it until then; a runner that died lets it go at that instant.
    claimed_until timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_attempt_at timestamptz
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at DESC, id);

CREATE TABLE webhook_attempts (
    id bigserial PRIMARY KEY,
    delivery_id uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt integer NOT NULL,
    attempted_at timestamptz NOT NULL,
    http_status integer,
    latency_ms integer NOT NULL,
    response_excerpt text CHECK (octet_length(response_excerpt) <= 1024),
    error text CHECK (char_length(error) <= 500)
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);

CREATE TRIGGER webhook_deliveries_wake AFTER INSERT ON webhook_deliveries
    FOR EACH STATEMENT EXECUTE FUNCTION bastion_history.webhook_wake();
CREATE TRIGGER history_webhooks AFTER INSERT ON history
    FOR EACH ROW EXECUTE FUNCTION bastion_history.webhook_history_change();
CREATE TRIGGER members_webhooks AFTER INSERT OR UPDATE OR DELETE ON members
    FOR EACH ROW EXECUTE FUNCTION bastion_history.webhook_member_change();
CREATE TRIGGER webhook_endpoints_history AFTER INSERT OR UPDATE OR DELETE ON webhook_endpoints
    FOR EACH ROW EXECUTE FUNCTION bastion_history.webhook_endpoint_change();
