-- Outgoing webhooks are delivered from the job queue: one `webhooks` job per workspace with
-- something due. The tenant trigger that records a delivery (tenant migration 0008, running as
-- bastion_tenant_owner) queues that job in the same transaction, so a rolled-back change queues
-- nothing. `run_after` lets a retry wait: a job is not leased before it.
ALTER TABLE jobs
    DROP CONSTRAINT jobs_kind_check,
    ADD CONSTRAINT jobs_kind_check CHECK (kind IN ('export', 'webhooks')),
    ADD COLUMN run_after timestamptz NOT NULL DEFAULT now();

-- At most one waiting webhooks job per workspace: a burst of changes queues one job, whose
-- `run_after` is the earliest any of them asked for.
CREATE UNIQUE INDEX jobs_one_waiting_webhooks ON jobs (workspace_id)
    WHERE kind = 'webhooks' AND state = 'queued';

GRANT SELECT, INSERT ON jobs TO bastion_tenant_owner;
GRANT UPDATE (run_after) ON jobs TO bastion_tenant_owner;
