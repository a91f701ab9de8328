-- 0003: what the auth function keeps: single-use account tokens, refresh
-- token chains, login throttling, and the transactional email outbox.

-- The version of the terms a user accepted (0001 records only whether and when).
ALTER TABLE users ADD COLUMN IF NOT EXISTS tos_version VARCHAR(32);

-- Email verification and password reset links. Only the SHA-256 of the
-- token is stored, so a database leak yields no usable link; a used token is
-- kept (used_at) so a second click gets "already used", not "unknown". This
-- replaces the old platform's plain-text users.email_verification_token and
-- users.password_reset_token columns, which this platform leaves NULL.
CREATE TABLE IF NOT EXISTS account_tokens (
    token_hash  BYTEA PRIMARY KEY,
    user_id     UUID        NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose     VARCHAR(20) NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS ix_account_tokens_user ON account_tokens (user_id, purpose, created_at DESC);
CREATE INDEX IF NOT EXISTS ix_account_tokens_expires ON account_tokens (expires_at);

-- One pending invitation per address (the members function resends it
-- rather than stacking a second).
CREATE UNIQUE INDEX IF NOT EXISTS ix_user_invitations_pending_email
    ON user_invitations (lower(email)) WHERE status = 'pending';

-- Refresh tokens, hashed. Each login starts a family; every refresh uses up
-- one token and issues the next of the same family. Presenting a used token
-- again means it was stolen: the whole family is revoked.
CREATE TABLE IF NOT EXISTS refresh_tokens (
    token_hash    BYTEA PRIMARY KEY,
    user_id       UUID        NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    family_id     UUID        NOT NULL,
    -- users.token_version when issued: a password change or deactivation
    -- ends refresh tokens as it ends access tokens.
    token_version INTEGER     NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at    TIMESTAMPTZ NOT NULL,
    used_at       TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS ix_refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX IF NOT EXISTS ix_refresh_tokens_user ON refresh_tokens (user_id);
CREATE INDEX IF NOT EXISTS ix_refresh_tokens_expires ON refresh_tokens (expires_at);

-- Failed logins, counted per account ('account:<email>', known or not) and
-- per source address ('address:<ip>'). Kept in the database because each
-- Lambda container sees only a slice of the traffic.
CREATE TABLE IF NOT EXISTS login_throttle (
    key             VARCHAR(300) PRIMARY KEY,
    failures        INTEGER     NOT NULL,
    last_failure_at TIMESTAMPTZ NOT NULL,
    locked_until    TIMESTAMPTZ
);

-- Every email the platform sends, written in the same transaction as the
-- change that causes it; a sender delivers due rows with retries and
-- backoff. A claimed row's next_attempt_at is pushed ahead (a lease), so two
-- senders never deliver it twice and a crashed sender's claim runs out.
CREATE TABLE IF NOT EXISTS email_outbox (
    id                  UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    kind                VARCHAR(50)  NOT NULL,
    to_address          VARCHAR(255) NOT NULL,
    subject             VARCHAR(255) NOT NULL,
    text_body           TEXT         NOT NULL,
    html_body           TEXT         NOT NULL,
    status              VARCHAR(10)  NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'sent', 'failed')),
    attempts            INTEGER      NOT NULL DEFAULT 0,
    next_attempt_at     TIMESTAMPTZ  NOT NULL DEFAULT now(),
    last_error          TEXT,
    provider_message_id VARCHAR(255),
    created_at          TIMESTAMPTZ  NOT NULL DEFAULT now(),
    sent_at             TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS ix_email_outbox_due ON email_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS ix_email_outbox_created ON email_outbox (created_at);
