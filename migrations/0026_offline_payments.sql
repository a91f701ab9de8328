-- 0026: payments a member promises to make offline (a bank transfer, a
-- cheque). The organisation's instructions (its bank details, where to send
-- a cheque) are a setting, and offering offline payment needs them; a
-- second setting says whether a member waiting for their payment to arrive
-- keeps the members' content meanwhile. A member has at most one pending
-- payment; an admin confirms it when the money arrives (the same effect as
-- a payment recorded by hand) or cancels it.
ALTER TABLE organisation_settings
    ADD COLUMN IF NOT EXISTS payment_instructions   TEXT,
    ADD COLUMN IF NOT EXISTS pending_payment_access BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE IF NOT EXISTS pending_payments (
    id               UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id          UUID        NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    plan_id          UUID        NOT NULL REFERENCES subscription_plans(id) ON DELETE RESTRICT,
    method           VARCHAR(20) NOT NULL CHECK (method IN ('bank_transfer', 'cheque')),
    base_cents       BIGINT      NOT NULL CHECK (base_cents >= 0),
    donation_cents   BIGINT      NOT NULL CHECK (donation_cents >= 0),
    total_cents      BIGINT      NOT NULL CHECK (total_cents > 0),
    currency         CHAR(3)     NOT NULL,
    -- What the member writes on the transfer or the back of the cheque.
    reference        VARCHAR(20) NOT NULL UNIQUE,
    status           VARCHAR(10) NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'confirmed', 'cancelled')),
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    decided_at       TIMESTAMPTZ,
    decided_by       UUID        REFERENCES users(id) ON DELETE SET NULL,
    cancel_reason    TEXT,
    subscription_id  UUID        REFERENCES subscriptions(id) ON DELETE SET NULL,
    reminders_sent   INTEGER     NOT NULL DEFAULT 0,
    last_reminder_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX IF NOT EXISTS ix_pending_payments_one_per_member
    ON pending_payments (user_id) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS ix_pending_payments_pending
    ON pending_payments (created_at) WHERE status = 'pending';

-- Whether `member` has a payment promised offline on its way that, by the
-- organisation's choice, opens the members' content meanwhile. One
-- function, read where a request's caller is loaded, by the calendar feed
-- and by the event reminders.
CREATE OR REPLACE FUNCTION loaf_paying(member uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT COALESCE((SELECT pending_payment_access FROM organisation_settings), false)
       AND EXISTS (SELECT 1 FROM pending_payments
                   WHERE user_id = member AND status = 'pending')
$$;
