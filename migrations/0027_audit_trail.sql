-- 0027: one audit trail of every change an admin, a member or the system
-- makes. The member trail (status, role, profile, membership entries,
-- written by the application) becomes `audit_log`, and every table an admin
-- manages gets a trigger that writes an entry in the same transaction as the
-- change: who, when, what (table and operation), the target row, and the
-- changed fields with their values (a secret field is named, never shown).
--
-- Who acted is the transaction's `loaf.actor` setting, set by the
-- application as it begins the transaction (`SET LOCAL`, so it never
-- outlives it, which is also what a transaction-pooling proxy needs): a
-- user's id, or the name of a job (`scheduler`, `payment_provider`,
-- `setup`). A change made without one (by hand, in psql) is attributed to
-- `database`.
ALTER TABLE IF EXISTS member_audit_log RENAME TO audit_log;
ALTER TABLE audit_log RENAME COLUMN user_id TO subject_id;
ALTER TABLE audit_log ALTER COLUMN subject_id DROP NOT NULL;
-- The trail outlives a deleted account (the application never deletes one;
-- an erasure anonymises it), so its entries stay, no longer pointing at it.
ALTER TABLE audit_log DROP CONSTRAINT IF EXISTS member_audit_log_user_id_fkey;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_subject_id_fkey
    FOREIGN KEY (subject_id) REFERENCES users(id) ON DELETE SET NULL;
ALTER TABLE audit_log DROP CONSTRAINT IF EXISTS member_audit_log_action_check;
ALTER TABLE audit_log ALTER COLUMN action TYPE VARCHAR(40);
ALTER INDEX IF EXISTS ix_member_audit_log_user RENAME TO ix_audit_log_subject;
ALTER TABLE audit_log
    ADD COLUMN actor_job   VARCHAR(40),
    ADD COLUMN target_type VARCHAR(40) NOT NULL DEFAULT 'member',
    ADD COLUMN target_id   UUID,
    ADD COLUMN changes     JSONB;
UPDATE audit_log SET target_id = subject_id;
CREATE INDEX ix_audit_log_time ON audit_log (created_at DESC, id);
CREATE INDEX ix_audit_log_actor ON audit_log (actor_id, created_at DESC);
CREATE INDEX ix_audit_log_target ON audit_log (target_type, target_id, created_at DESC);

-- The transaction's actor, as an id (a person) or as a job's name.
CREATE OR REPLACE FUNCTION loaf_actor_id() RETURNS UUID
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN s ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                THEN s::uuid END
    FROM (SELECT current_setting('loaf.actor', true) AS s) a
$$;
CREATE OR REPLACE FUNCTION loaf_actor_job() RETURNS VARCHAR
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN coalesce(s, '') = '' THEN 'database'
                WHEN s ~ '^[0-9a-f]{8}-' THEN NULL
                ELSE s END
    FROM (SELECT current_setting('loaf.actor', true) AS s) a
$$;
ALTER TABLE audit_log ALTER COLUMN actor_id SET DEFAULT loaf_actor_id();
ALTER TABLE audit_log ALTER COLUMN actor_job SET DEFAULT loaf_actor_job();

-- One entry per changed row. Arguments: the target type, the column that
-- identifies the row (`-` when none does), then columns whose changes are
-- bookkeeping, not decisions (progress counters, the time of the change).
-- An update that changes nothing else writes nothing.
CREATE OR REPLACE FUNCTION loaf_audit_row() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    old_row JSONB := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
    new_row JSONB := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
    any_row JSONB := coalesce(new_row, old_row);
    changed JSONB := '{}';
    field TEXT;
BEGIN
    FOR field IN SELECT jsonb_object_keys(any_row) LOOP
        CONTINUE WHEN field = ANY (TG_ARGV[2:])
            OR field IN ('updated_at', 'updated_by', 'created_at');
        CONTINUE WHEN (old_row -> field) IS NOT DISTINCT FROM (new_row -> field);
        changed := changed || jsonb_build_object(field,
            CASE WHEN field ~ '(password|token|secret)' THEN '"[secret]"'::jsonb
                 ELSE jsonb_build_array(old_row -> field, new_row -> field) END);
    END LOOP;
    IF TG_OP = 'UPDATE' AND changed = '{}' THEN
        RETURN NULL;
    END IF;
    INSERT INTO audit_log (action, target_type, target_id, subject_id, changes)
    VALUES (TG_ARGV[0] || '.' || lower(TG_OP), TG_ARGV[0],
            CASE WHEN TG_ARGV[1] <> '-' THEN (any_row ->> TG_ARGV[1])::uuid END,
            -- The member it is about, unless their row is going in this
            -- very statement (a cascade from deleting the account).
            (SELECT u.id FROM users u WHERE u.id = (any_row ->> 'user_id')::uuid), changed);
    RETURN NULL;
END
$$;

CREATE TRIGGER audit_roles AFTER INSERT OR UPDATE OR DELETE ON roles
    FOR EACH ROW EXECUTE FUNCTION loaf_audit_row('role', 'id');
CREATE TRIGGER audit_role_permissions AFTER INSERT OR UPDATE OR DELETE ON role_permissions
    FOR EACH ROW EXECUTE FUNCTION loaf_audit_row('role_permission', 'role_id', 'id');
CREATE TRIGGER audit_plans AFTER INSERT OR UPDATE OR DELETE ON subscription_plans
    FOR EACH ROW EXECUTE FUNCTION loaf_audit_row('plan', 'id');
CREATE TRIGGER audit_subscriptions AFTER INSERT OR UPDATE OR DELETE ON subscriptions
    FOR EACH ROW EXECUTE FUNCTION loaf_audit_row('subscription', 'id', 'confirmation_number');
CREATE TRIGGER audit_pending_payments AFTER INSERT OR UPDATE OR DELETE ON pending_payments
    FOR EACH ROW EXECUTE FUNCTION loaf_audit_row('pending_payment', 'id',
        'reminders_sent', 'last_reminder_at');
CREATE TRIGGER audit_refunds AFTER INSERT OR UPDATE OR DELETE ON payment_refunds
    FOR EACH ROW EXECUTE FUNCTION loaf_audit_row('refund', 'id');
CREATE TRIGGER audit_donations AFTER INSERT OR UPDATE OR DELETE ON donations
    FOR EACH ROW EXECUTE FUNCTION loaf_audit_row('donation', 'id');
CREATE TRIGGER audit_events AFTER INSERT OR UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION loaf_audit_row('event', 'id', 'sequence');
CREATE TRIGGER audit_event_galleries AFTER INSERT OR UPDATE OR DELETE ON event_galleries
    FOR EACH ROW EXECUTE FUNCTION loaf_audit_row('gallery_image', 'id');
CREATE TRIGGER audit_bylaws AFTER INSERT OR UPDATE OR DELETE ON bylaws_documents
    FOR EACH ROW EXECUTE FUNCTION loaf_audit_row('document', 'id');
CREATE TRIGGER audit_newsletters AFTER INSERT OR UPDATE OR DELETE ON newsletter_archives
    FOR EACH ROW EXECUTE FUNCTION loaf_audit_row('document', 'id');
CREATE TRIGGER audit_financial_reports AFTER INSERT OR UPDATE OR DELETE ON financial_reports
    FOR EACH ROW EXECUTE FUNCTION loaf_audit_row('document', 'id');
CREATE TRIGGER audit_settings AFTER INSERT OR UPDATE OR DELETE ON organisation_settings
    FOR EACH ROW EXECUTE FUNCTION loaf_audit_row('settings', '-');
CREATE TRIGGER audit_imports AFTER INSERT OR UPDATE OR DELETE ON import_jobs
    FOR EACH ROW EXECUTE FUNCTION loaf_audit_row('import', 'id',
        'processed_rows', 'successful_rows', 'failed_rows', 'errors', 'invitations_sent',
        'total_rows', 'completed_at', 'started_at', 'queued_at');
CREATE TRIGGER audit_invitations AFTER INSERT OR UPDATE OR DELETE ON user_invitations
    FOR EACH ROW EXECUTE FUNCTION loaf_audit_row('invitation', 'id');
