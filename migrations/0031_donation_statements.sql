-- 0031: annual donation statements. For a calendar year (in the
-- organisation's time zone), each donor's completed gifts net of refunds,
-- with their receipt numbers, on one numbered statement (S2026-000001):
-- a PDF the donor and finance download, and an email sent to every donor
-- of the year once. A donor is a member (by account) or, for gifts given
-- without an account, an address. The organisation's postal address, a
-- setting, is printed on statements.
ALTER TABLE organisation_settings ADD COLUMN IF NOT EXISTS postal_address TEXT;

CREATE TABLE IF NOT EXISTS donation_statement_counters (
    year        INTEGER PRIMARY KEY,
    last_number INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS donation_statements (
    id          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    year        INTEGER      NOT NULL,
    number      VARCHAR(20)  NOT NULL UNIQUE,
    -- `user:<id>` for a member, `email:<address>` for a donor without an
    -- account (`erased:<statement id>` once that donor is erased).
    donor_key   VARCHAR(300) NOT NULL,
    user_id     UUID         REFERENCES users(id) ON DELETE SET NULL,
    created_at  TIMESTAMPTZ  NOT NULL DEFAULT now(),
    emailed_at  TIMESTAMPTZ,
    UNIQUE (year, donor_key)
);

CREATE TRIGGER audit_donation_statements AFTER INSERT OR UPDATE OR DELETE ON donation_statements
    FOR EACH ROW EXECUTE FUNCTION loaf_audit_row('donation_statement', 'id');
