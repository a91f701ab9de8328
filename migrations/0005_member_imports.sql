-- 0005: CSV imports run as jobs. A job is created with its upload URL,
-- started (as a preview first if the admin wants), and reports per-row
-- errors. The seed's status enum is kept; "not started yet" is
-- queued_at IS NULL.

ALTER TABLE import_jobs
    ADD COLUMN IF NOT EXISTS size_bytes       BIGINT,
    ADD COLUMN IF NOT EXISTS created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- When the latest run began; NULL until the first start.
    ADD COLUMN IF NOT EXISTS queued_at        TIMESTAMPTZ,
    -- The latest run was a preview that wrote nothing.
    ADD COLUMN IF NOT EXISTS dry_run          BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN IF NOT EXISTS send_invitations BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN IF NOT EXISTS invitations_sent INTEGER NOT NULL DEFAULT 0,
    -- Columns of the file that matched no field, for the report.
    ADD COLUMN IF NOT EXISTS ignored_columns  JSONB NOT NULL DEFAULT '[]'::jsonb;

CREATE INDEX IF NOT EXISTS ix_import_jobs_created ON import_jobs (created_at DESC);
