-- 0028: erasure. An erased account stays as a tombstone (its financial
-- records keep their owner), stamped when it was erased and, once the
-- organisation's retention period has passed, when what was left of its
-- financial records was anonymised too. A member asks by a link sent to
-- their address (`erase_account`). The retention period is a setting, in
-- years (10 by default: the longest most European tax administrations ask
-- an association to keep its accounting records).
ALTER TABLE users
    ADD COLUMN IF NOT EXISTS erased_at             TIMESTAMPTZ,
    ADD COLUMN IF NOT EXISTS records_anonymised_at TIMESTAMPTZ;
CREATE INDEX IF NOT EXISTS ix_users_erased ON users (erased_at) WHERE erased_at IS NOT NULL;

ALTER TABLE account_tokens DROP CONSTRAINT IF EXISTS account_tokens_purpose_check;
ALTER TABLE account_tokens ADD CONSTRAINT account_tokens_purpose_check
    CHECK (purpose IN ('verify_email', 'reset_password', 'change_email', 'erase_account'));

ALTER TABLE organisation_settings
    ADD COLUMN IF NOT EXISTS record_retention_years INTEGER NOT NULL DEFAULT 10
        CHECK (record_retention_years BETWEEN 1 AND 30);
