-- 0007: donations. A donation records its currency, the donor's message,
-- whether to stay anonymous, a dedication ("in memory of ..."), an in-kind
-- gift's description, when it was given and who recorded an offline one,
-- refunds, and its receipt: numbered per year without gaps (a counter row
-- per year, taken in the transaction that completes the donation).

ALTER TABLE donations
    ADD COLUMN IF NOT EXISTS currency            CHAR(3),
    ADD COLUMN IF NOT EXISTS message             TEXT,
    ADD COLUMN IF NOT EXISTS anonymous           BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN IF NOT EXISTS dedication          TEXT,
    ADD COLUMN IF NOT EXISTS in_kind_description TEXT,
    -- When the gift was made: the payment's completion, or the day an
    -- admin recorded for an offline gift. NULL while pending.
    ADD COLUMN IF NOT EXISTS donated_at          TIMESTAMPTZ,
    ADD COLUMN IF NOT EXISTS recorded_by         UUID REFERENCES users(id) ON DELETE SET NULL,
    ADD COLUMN IF NOT EXISTS refunded_cents      INTEGER NOT NULL DEFAULT 0 CHECK (refunded_cents >= 0),
    ADD COLUMN IF NOT EXISTS receipt_number      VARCHAR(20) UNIQUE,
    ADD COLUMN IF NOT EXISTS receipt_sent_at     TIMESTAMPTZ;

CREATE TABLE IF NOT EXISTS donation_receipt_counters (
    year        INTEGER PRIMARY KEY,
    last_number INTEGER NOT NULL
);

-- When a gift was given (donations adopted from the old platform have only
-- their creation): the list's order, its date filters and the totals'
-- year ranges.
CREATE INDEX IF NOT EXISTS ix_donations_given ON donations ((COALESCE(donated_at, created_at)));
-- Donor search: substring of name or email, through trigrams.
CREATE INDEX IF NOT EXISTS ix_donations_donor_search ON donations
    USING gin ((lower(COALESCE(donor_name, '') || ' ' || COALESCE(donor_email, ''))) gin_trgm_ops);
CREATE INDEX IF NOT EXISTS ix_donations_intent
    ON donations (stripe_payment_intent_id) WHERE stripe_payment_intent_id IS NOT NULL;
