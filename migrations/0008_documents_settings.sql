-- 0008: the document libraries, uploads, storage accounting and the
-- organisation's settings.
--
-- Each library entry is a file in S3 (file_key set; document_url keeps the
-- key for the old platform's readers) or an external link (file_key NULL,
-- document_url the link). Uploads are reserved before the presigned URL is
-- handed out and confirmed after, when the object is checked. An object
-- whose row is gone but whose S3 delete failed waits in storage_deletions
-- for the next try; its bytes already left the usage total.

ALTER TABLE newsletter_archives
    ADD COLUMN IF NOT EXISTS file_key     VARCHAR(500),
    ADD COLUMN IF NOT EXISTS file_name    VARCHAR(255),
    ADD COLUMN IF NOT EXISTS content_type VARCHAR(100);
ALTER TABLE financial_reports
    ADD COLUMN IF NOT EXISTS file_key     VARCHAR(500),
    ADD COLUMN IF NOT EXISTS file_name    VARCHAR(255),
    ADD COLUMN IF NOT EXISTS content_type VARCHAR(100);
ALTER TABLE bylaws_documents
    ADD COLUMN IF NOT EXISTS file_key     VARCHAR(500),
    ADD COLUMN IF NOT EXISTS file_name    VARCHAR(255),
    ADD COLUMN IF NOT EXISTS content_type VARCHAR(100),
    ADD COLUMN IF NOT EXISTS updated_at   TIMESTAMPTZ NOT NULL DEFAULT now();

-- Exactly one current version of the bylaws, even under concurrency: a
-- second current row violates this index.
CREATE UNIQUE INDEX IF NOT EXISTS ux_bylaws_one_current ON bylaws_documents ((true)) WHERE is_current;

-- An upload reserved: its key (chosen by the server), what it was declared
-- to be, and for which library (or the gallery, or the logo).
CREATE TABLE IF NOT EXISTS pending_uploads (
    id            UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    purpose       VARCHAR(60)  NOT NULL,
    file_key      VARCHAR(500) NOT NULL UNIQUE,
    file_name     VARCHAR(255) NOT NULL,
    content_type  VARCHAR(100) NOT NULL,
    size_bytes    BIGINT       NOT NULL CHECK (size_bytes > 0),
    created_by    UUID REFERENCES users(id) ON DELETE CASCADE,
    created_at    TIMESTAMPTZ  NOT NULL DEFAULT now(),
    expires_at    TIMESTAMPTZ  NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_pending_uploads_expires ON pending_uploads (expires_at);

CREATE TABLE IF NOT EXISTS storage_deletions (
    file_key     VARCHAR(500) PRIMARY KEY,
    attempts     INTEGER     NOT NULL DEFAULT 0,
    last_error   TEXT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

ALTER TABLE organisation_settings
    ADD COLUMN IF NOT EXISTS name          VARCHAR(200),
    ADD COLUMN IF NOT EXISTS contact_email VARCHAR(255),
    ADD COLUMN IF NOT EXISTS logo_key      VARCHAR(500),
    ADD COLUMN IF NOT EXISTS logo_size     BIGINT NOT NULL DEFAULT 0;

-- One-row tables: statistics saying so keep the planner's estimates sane
-- in the queries that join them (without, it assumes hundreds of rows,
-- multiplies them and compiles those queries with JIT for nothing).
-- Autovacuum never analyzes tables this small on its own.
ANALYZE organisation_settings;
ANALYZE storage_usage;
