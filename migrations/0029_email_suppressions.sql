-- 0029: addresses the email provider says not to mail again: a hard bounce
-- (the mailbox does not exist) or a complaint (the person marked our mail
-- as spam). SES reports both (configuration set -> SNS -> the jobs
-- function); the outbox then never sends to the address again (a message
-- to it ends `suppressed`), the routes that send a link now say the
-- address cannot be reached, and admins see it on the member's page and
-- may clear it once the member has fixed their mailbox.
CREATE TABLE IF NOT EXISTS email_suppressions (
    address        VARCHAR(255) PRIMARY KEY CHECK (address = lower(address)),
    reason         VARCHAR(20)  NOT NULL CHECK (reason IN ('bounce', 'complaint')),
    -- What the provider said (the bounce's type and status, the complaint's
    -- feedback type), for an admin to read.
    detail         TEXT,
    events         INTEGER      NOT NULL DEFAULT 1,
    created_at     TIMESTAMPTZ  NOT NULL DEFAULT now(),
    last_event_at  TIMESTAMPTZ  NOT NULL DEFAULT now()
);

ALTER TABLE email_outbox DROP CONSTRAINT IF EXISTS email_outbox_status_check;
ALTER TABLE email_outbox ADD CONSTRAINT email_outbox_status_check
    CHECK (status IN ('pending', 'sent', 'failed', 'suppressed'));

CREATE TRIGGER audit_email_suppressions AFTER INSERT OR UPDATE OR DELETE ON email_suppressions
    FOR EACH ROW EXECUTE FUNCTION loaf_audit_row('email_suppression', '-', 'events', 'last_event_at');
