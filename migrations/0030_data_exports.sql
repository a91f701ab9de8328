-- 0030: a person's data, exported: asked for by the member (or by an admin
-- holding users.export on their behalf), built by the jobs function in the
-- background into a ZIP under the person's own prefix of the bucket, and
-- announced by email with a link to the page that hands out a short-lived
-- download link. Audited: an export is personal data leaving the system.
CREATE TABLE IF NOT EXISTS data_exports (
    id            UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id       UUID        NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    requested_by  UUID        REFERENCES users(id) ON DELETE SET NULL,
    status        VARCHAR(10) NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'running', 'ready', 'failed')),
    file_key      VARCHAR(500),
    size_bytes    BIGINT,
    -- Rows written to the archive (every section), and files copied in.
    records       BIGINT,
    files         INTEGER,
    error         TEXT,
    attempts      INTEGER     NOT NULL DEFAULT 0,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    started_at    TIMESTAMPTZ,
    ready_at      TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS ix_data_exports_user ON data_exports (user_id, created_at DESC);
CREATE INDEX IF NOT EXISTS ix_data_exports_waiting ON data_exports (created_at)
    WHERE status IN ('pending', 'running');

CREATE TRIGGER audit_data_exports AFTER INSERT OR UPDATE OR DELETE ON data_exports
    FOR EACH ROW EXECUTE FUNCTION loaf_audit_row('export', 'id', 'attempts', 'started_at');
