-- 0006: memberships and payments. Plans gain prorating for fixed custom
-- periods; online checkouts are tracked from creation to payment or refund;
-- every provider event is recorded once; subscriptions learn cancellation
-- and refunds. The organisation's time zone (periods end at its local
-- midnight) and currency live in a one-row settings table, which the
-- documents issue extends with the name, contact and logo.

CREATE TABLE IF NOT EXISTS organisation_settings (
    id          BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
    time_zone   VARCHAR(64) NOT NULL DEFAULT 'UTC',
    currency    CHAR(3)     NOT NULL DEFAULT 'EUR' CHECK (currency ~ '^[A-Z]{3}$'),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_by  UUID REFERENCES users(id) ON DELETE SET NULL
);
INSERT INTO organisation_settings (id) VALUES (TRUE) ON CONFLICT (id) DO NOTHING;

-- A custom fixed period ("1 January to 31 December") either charges the
-- full price whenever one joins, or the share of the period left.
ALTER TABLE subscription_plans
    ADD COLUMN IF NOT EXISTS custom_cycle_prorate BOOLEAN NOT NULL DEFAULT FALSE;

ALTER TABLE subscriptions
    ADD COLUMN IF NOT EXISTS currency            CHAR(3),
    ADD COLUMN IF NOT EXISTS cancel_at_period_end BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN IF NOT EXISTS cancelled_at        TIMESTAMPTZ,
    ADD COLUMN IF NOT EXISTS cancelled_by        UUID REFERENCES users(id) ON DELETE SET NULL,
    ADD COLUMN IF NOT EXISTS cancellation_reason TEXT,
    ADD COLUMN IF NOT EXISTS refunded_cents      INTEGER NOT NULL DEFAULT 0 CHECK (refunded_cents >= 0);

-- Coverage lookups: a member's active subscriptions, newest end first.
CREATE INDEX IF NOT EXISTS ix_subscriptions_user_active
    ON subscriptions (user_id, end_date DESC) WHERE status = 'active';
CREATE INDEX IF NOT EXISTS ix_subscriptions_start ON subscriptions (start_date DESC);

-- One row per online checkout: created before the provider is called (its
-- id travels in the session's metadata), completed by the webhook.
CREATE TABLE IF NOT EXISTS membership_checkouts (
    id                  UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id             UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    plan_id             UUID NOT NULL REFERENCES subscription_plans(id) ON DELETE RESTRICT,
    base_cents          INTEGER NOT NULL CHECK (base_cents >= 0),
    donation_cents      INTEGER NOT NULL DEFAULT 0 CHECK (donation_cents >= 0),
    total_cents         INTEGER NOT NULL CHECK (total_cents > 0),
    currency            CHAR(3) NOT NULL,
    provider_session_id VARCHAR(255) UNIQUE,
    payment_intent_id   VARCHAR(255),
    status              VARCHAR(10) NOT NULL DEFAULT 'open'
                        CHECK (status IN ('open', 'paid', 'failed', 'expired', 'refunded')),
    subscription_id     UUID REFERENCES subscriptions(id) ON DELETE SET NULL,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    completed_at        TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS ix_membership_checkouts_user ON membership_checkouts (user_id, created_at DESC);
CREATE INDEX IF NOT EXISTS ix_membership_checkouts_intent
    ON membership_checkouts (payment_intent_id) WHERE payment_intent_id IS NOT NULL;

-- Every provider event handled, by the provider's id: a redelivery finds
-- its row and changes nothing. A refund that arrives before the payment it
-- refunds is kept here (payment intent and amount) for the payment to find.
CREATE TABLE IF NOT EXISTS payment_events (
    id                VARCHAR(255) PRIMARY KEY,
    type              VARCHAR(100) NOT NULL,
    payment_intent_id VARCHAR(255),
    refunded_cents    INTEGER,
    outcome           VARCHAR(50)  NOT NULL,
    received_at       TIMESTAMPTZ  NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS ix_payment_events_intent
    ON payment_events (payment_intent_id) WHERE payment_intent_id IS NOT NULL;
