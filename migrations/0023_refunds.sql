-- 0023: refunds made by admins. Each refund of a membership payment or a
-- gift, online (through the provider's refund API: its refund id) or of an
-- offline payment recorded by hand, is a row: who, when, how much, why.
-- A gift's receipt is never reused: a refund voids its number (kept in
-- `voided_receipt_numbers`), and what is left of a partly refunded gift
-- gets a new one.
CREATE TABLE IF NOT EXISTS payment_refunds (
    id                 UUID PRIMARY KEY,
    subscription_id    UUID REFERENCES subscriptions(id) ON DELETE CASCADE,
    donation_id        UUID REFERENCES donations(id) ON DELETE CASCADE,
    amount_cents       BIGINT      NOT NULL CHECK (amount_cents > 0),
    provider_refund_id VARCHAR(255),
    reason             TEXT        NOT NULL,
    refunded_by        UUID        REFERENCES users(id) ON DELETE SET NULL,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT payment_refunds_one_target CHECK ((subscription_id IS NULL) <> (donation_id IS NULL))
);
CREATE INDEX IF NOT EXISTS ix_payment_refunds_subscription ON payment_refunds (subscription_id);
CREATE INDEX IF NOT EXISTS ix_payment_refunds_donation ON payment_refunds (donation_id);

ALTER TABLE donations
    ADD COLUMN IF NOT EXISTS voided_receipt_numbers TEXT[] NOT NULL DEFAULT '{}';
