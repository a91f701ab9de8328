-- 0001: the old platform's consolidated schema (its 000_initial_schema.sql):
-- 8 enum types, 16 tables, 30+ indexes and the default storage_usage row,
-- with every change of its history folded in (member_since, validation
-- naming, terms acceptance, reminder tracking, RBAC and invitations, dynamic
-- roles, donations, rejection fields, calendar UID, profile fields).
--
-- Like the original it is written to be re-runnable (IF NOT EXISTS, guarded
-- enum creation). A database the old platform created is adopted by
-- recording this migration as applied without running it (see
-- functions/migrate/src/baseline.rs); later changes go in later migrations,
-- never here.

-- Step 1/8: enum types ----------------------------------------------------
DO $$ BEGIN
    CREATE TYPE userstatus AS ENUM (
        'pending_email', 'pending_validation', 'pre_validated', 'payment_pending',
        'active', 'inactive', 'canceled', 'expired', 'abandoned', 'rejected');
EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN
    CREATE TYPE userrole AS ENUM ('guest', 'member', 'admin', 'superadmin', 'finance');
EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN
    CREATE TYPE rsvpstatus AS ENUM ('yes', 'no', 'maybe');
EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN
    CREATE TYPE subscriptionstatus AS ENUM ('active', 'expired', 'cancelled');
EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN
    CREATE TYPE donationtype AS ENUM ('member', 'public');
EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN
    CREATE TYPE donationstatus AS ENUM ('pending', 'completed', 'failed');
EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN
    CREATE TYPE invitationstatus AS ENUM ('pending', 'accepted', 'expired', 'revoked');
EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN
    CREATE TYPE importjobstatus AS ENUM ('processing', 'completed', 'failed', 'partial');
EXCEPTION WHEN duplicate_object THEN NULL; END $$;

-- Step 2/8: RBAC tables (users reference roles) -----------------------------
CREATE TABLE IF NOT EXISTS roles (
    id              UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    code            VARCHAR(50)  NOT NULL UNIQUE,
    name            VARCHAR(100) NOT NULL,
    description     TEXT,
    is_system_role  BOOLEAN      NOT NULL DEFAULT FALSE,
    created_at      TIMESTAMPTZ  NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ  NOT NULL DEFAULT now(),
    created_by      UUID
);

CREATE TABLE IF NOT EXISTS permissions (
    id           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    code         VARCHAR(100) NOT NULL UNIQUE,
    name         VARCHAR(200) NOT NULL,
    description  TEXT,
    module       VARCHAR(50)  NOT NULL,
    created_at   TIMESTAMPTZ  NOT NULL DEFAULT now()
);

-- Step 3/8: core tables -----------------------------------------------------
CREATE TABLE IF NOT EXISTS users (
    id                         UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    email                      VARCHAR(255) NOT NULL UNIQUE,
    password_hash              VARCHAR(255) NOT NULL,
    first_name                 VARCHAR(100) NOT NULL,
    last_name                  VARCHAR(100) NOT NULL,
    phone                      VARCHAR(50),
    address                    VARCHAR(255),
    city                       VARCHAR(100),
    state                      VARCHAR(100),
    zipcode                    VARCHAR(20),
    date_of_birth              DATE,
    -- multi-step registration profile
    lead_sources               JSONB        NOT NULL DEFAULT '[]'::jsonb,
    referred_by_member_name    VARCHAR(200),
    partner_first_name         VARCHAR(100),
    partner_last_name          VARCHAR(100),
    partner_is_member          BOOLEAN      NOT NULL DEFAULT FALSE,
    partner_plan_to_become_member BOOLEAN   NOT NULL DEFAULT FALSE,
    emergency_contact_name     VARCHAR(200),
    emergency_contact_phone    VARCHAR(50),
    emergency_contact_relationship VARCHAR(100),
    interests                  JSONB        NOT NULL DEFAULT '[]'::jsonb,
    volunteer_interests        JSONB        NOT NULL DEFAULT '[]'::jsonb,
    scholarship_requested      BOOLEAN      NOT NULL DEFAULT FALSE,
    scholarship_reason         TEXT,
    -- newsletter and directory preferences
    newsletter_subscribed      BOOLEAN      NOT NULL DEFAULT TRUE,
    newsletter_publish_name    BOOLEAN      NOT NULL DEFAULT FALSE,
    newsletter_publish_photo   BOOLEAN      NOT NULL DEFAULT FALSE,
    newsletter_publish_birthday BOOLEAN     NOT NULL DEFAULT FALSE,
    show_in_directory          BOOLEAN      NOT NULL DEFAULT FALSE,
    directory_email            VARCHAR(255),
    directory_bio              TEXT,
    directory_address          VARCHAR(255),
    directory_phone            VARCHAR(50),
    directory_dob              DATE,
    directory_partner_name     VARCHAR(200),
    profile_photo_url          VARCHAR(500),
    social_media_facebook      VARCHAR(255),
    social_media_instagram     VARCHAR(255),
    social_media_twitter       VARCHAR(255),
    social_media_linkedin      VARCHAR(255),
    -- lifecycle and role
    status                     userstatus   NOT NULL DEFAULT 'pending_email',
    role                       userrole     NOT NULL DEFAULT 'guest',
    role_id                    UUID REFERENCES roles(id) ON DELETE SET NULL,
    email_verified             BOOLEAN      NOT NULL DEFAULT FALSE,
    email_verification_token   VARCHAR(255),
    email_verification_expires TIMESTAMPTZ,
    password_reset_token       VARCHAR(255),
    password_reset_expires     TIMESTAMPTZ,
    force_password_change      BOOLEAN      NOT NULL DEFAULT FALSE,
    -- 001: member_since; 002: approval renamed validation
    member_since               TIMESTAMPTZ,
    validated_at               TIMESTAMPTZ,
    validated_by               UUID REFERENCES users(id) ON DELETE SET NULL,
    -- 003: terms of service acceptance
    accepts_tos                BOOLEAN      NOT NULL DEFAULT FALSE,
    tos_accepted_at            TIMESTAMPTZ,
    -- 004: reminder tracking
    email_verification_reminders_sent INTEGER NOT NULL DEFAULT 0,
    last_email_verification_reminder_at TIMESTAMPTZ,
    event_attendance_reminders_sent INTEGER NOT NULL DEFAULT 0,
    last_event_attendance_reminder_at TIMESTAMPTZ,
    payment_reminders_sent     INTEGER      NOT NULL DEFAULT 0,
    last_payment_reminder_at   TIMESTAMPTZ,
    renewal_reminders_sent     INTEGER      NOT NULL DEFAULT 0,
    last_renewal_reminder_at   TIMESTAMPTZ,
    -- 010: rejection tracking
    rejection_reason           TEXT,
    rejected_at                TIMESTAMPTZ,
    rejected_by                UUID REFERENCES users(id) ON DELETE SET NULL,
    last_login_at              TIMESTAMPTZ,
    created_at                 TIMESTAMPTZ  NOT NULL DEFAULT now(),
    updated_at                 TIMESTAMPTZ  NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS events (
    id            UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    title         VARCHAR(255) NOT NULL,
    description   TEXT,
    start_at      TIMESTAMPTZ  NOT NULL,
    end_at        TIMESTAMPTZ  NOT NULL,
    location      VARCHAR(255),
    capacity      INTEGER CHECK (capacity IS NULL OR capacity > 0),
    created_by    UUID REFERENCES users(id) ON DELETE SET NULL,
    published     BOOLEAN      NOT NULL DEFAULT FALSE,
    -- add_calendar_uid.sql: stable iCalendar UID
    calendar_uid  VARCHAR(255) UNIQUE,
    created_at    TIMESTAMPTZ  NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ  NOT NULL DEFAULT now(),
    CONSTRAINT events_end_after_start CHECK (end_at >= start_at)
);

CREATE TABLE IF NOT EXISTS event_rsvps (
    id           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    event_id     UUID NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    user_id      UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    rsvp_status  rsvpstatus  NOT NULL DEFAULT 'maybe',
    attended     BOOLEAN     NOT NULL DEFAULT FALSE,
    attended_at  TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT event_rsvps_event_user_key UNIQUE (event_id, user_id)
);

CREATE TABLE IF NOT EXISTS event_galleries (
    id               UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    event_id         UUID NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    image_url        VARCHAR(500) NOT NULL,
    image_key        VARCHAR(500) NOT NULL,
    caption          TEXT,
    uploaded_by      UUID REFERENCES users(id) ON DELETE SET NULL,
    file_size_bytes  BIGINT NOT NULL DEFAULT 0,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Step 4/8: financial tables ------------------------------------------------
CREATE TABLE IF NOT EXISTS subscription_plans (
    id                     UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    name                   VARCHAR(100) NOT NULL,
    description            TEXT,
    price_cents            INTEGER      NOT NULL CHECK (price_cents >= 0),
    billing_cycle          VARCHAR(20)  NOT NULL DEFAULT 'yearly'
        CHECK (billing_cycle IN ('monthly', 'quarterly', 'yearly', 'lifetime', 'custom')),
    stripe_price_id        VARCHAR(255),
    active                 BOOLEAN      NOT NULL DEFAULT TRUE,
    -- billing enhancements: pay-what-you-can and fixed custom periods
    minimum_price_cents    INTEGER      NOT NULL DEFAULT 0 CHECK (minimum_price_cents >= 0),
    suggested_price_cents  INTEGER CHECK (suggested_price_cents IS NULL OR suggested_price_cents >= 0),
    allow_donation         BOOLEAN      NOT NULL DEFAULT TRUE,
    custom_cycle_enabled   BOOLEAN      NOT NULL DEFAULT FALSE,
    custom_cycle_start_month SMALLINT CHECK (custom_cycle_start_month BETWEEN 1 AND 12),
    custom_cycle_start_day   SMALLINT CHECK (custom_cycle_start_day BETWEEN 1 AND 31),
    custom_cycle_end_month   SMALLINT CHECK (custom_cycle_end_month BETWEEN 1 AND 12),
    custom_cycle_end_day     SMALLINT CHECK (custom_cycle_end_day BETWEEN 1 AND 31),
    created_at             TIMESTAMPTZ  NOT NULL DEFAULT now(),
    updated_at             TIMESTAMPTZ  NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS subscriptions (
    id                       UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id                  UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    plan_id                  UUID NOT NULL REFERENCES subscription_plans(id) ON DELETE RESTRICT,
    status                   subscriptionstatus NOT NULL DEFAULT 'active',
    start_date               TIMESTAMPTZ NOT NULL DEFAULT now(),
    end_date                 TIMESTAMPTZ,
    stripe_subscription_id   VARCHAR(255),
    stripe_customer_id       VARCHAR(255),
    -- base amount, donation part and total
    base_subscription_cents  INTEGER NOT NULL DEFAULT 0 CHECK (base_subscription_cents >= 0),
    donation_cents           INTEGER NOT NULL DEFAULT 0 CHECK (donation_cents >= 0),
    amount_paid_cents        INTEGER CHECK (amount_paid_cents IS NULL OR amount_paid_cents >= 0),
    -- manual (cash, cheque, bank) payments
    payment_method           VARCHAR(50),
    manual_payment           BOOLEAN NOT NULL DEFAULT FALSE,
    manual_payment_notes     TEXT,
    manual_payment_admin_id  UUID REFERENCES users(id) ON DELETE SET NULL,
    manual_payment_date      TIMESTAMPTZ,
    created_at               TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at               TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS donations (
    id                           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    amount_cents                 INTEGER NOT NULL CHECK (amount_cents > 0),
    donation_type                donationtype   NOT NULL DEFAULT 'public',
    status                       donationstatus NOT NULL DEFAULT 'pending',
    user_id                      UUID REFERENCES users(id) ON DELETE SET NULL,
    donor_email                  VARCHAR(255),
    donor_name                   VARCHAR(200),
    stripe_checkout_session_id   VARCHAR(255),
    stripe_payment_intent_id     VARCHAR(255),
    payment_method               VARCHAR(50),
    notes                        TEXT,
    created_at                   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at                   TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Step 5/8: document tables -------------------------------------------------
CREATE TABLE IF NOT EXISTS newsletter_archives (
    id               UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    title            VARCHAR(255) NOT NULL,
    description      TEXT,
    published_date   TIMESTAMPTZ NOT NULL,
    document_url     VARCHAR(500) NOT NULL,
    document_type    VARCHAR(50)  NOT NULL DEFAULT 'pdf',
    file_size_bytes  BIGINT,
    created_by       UUID REFERENCES users(id) ON DELETE SET NULL,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS financial_reports (
    id               UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    year             INTEGER      NOT NULL,
    title            VARCHAR(255) NOT NULL,
    document_url     VARCHAR(500) NOT NULL,
    document_type    VARCHAR(50)  NOT NULL DEFAULT 'pdf',
    file_size_bytes  BIGINT,
    created_by       UUID REFERENCES users(id) ON DELETE SET NULL,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS bylaws_documents (
    id               UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    title            VARCHAR(255) NOT NULL,
    version          VARCHAR(50)  NOT NULL,
    effective_date   TIMESTAMPTZ  NOT NULL,
    document_url     VARCHAR(500) NOT NULL,
    document_type    VARCHAR(50)  NOT NULL DEFAULT 'pdf',
    file_size_bytes  BIGINT,
    is_current       BOOLEAN NOT NULL DEFAULT FALSE,
    created_by       UUID REFERENCES users(id) ON DELETE SET NULL,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Step 6/8: RBAC links and system tables ------------------------------------
CREATE TABLE IF NOT EXISTS role_permissions (
    id             UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    role           userrole,
    role_id        UUID NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    permission_id  UUID NOT NULL REFERENCES permissions(id) ON DELETE CASCADE,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_by     UUID REFERENCES users(id) ON DELETE SET NULL,
    CONSTRAINT role_permissions_role_permission_key UNIQUE (role_id, permission_id)
);

CREATE TABLE IF NOT EXISTS storage_usage (
    id                 UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    total_bytes_used   BIGINT NOT NULL DEFAULT 0 CHECK (total_bytes_used >= 0),
    max_bytes_allowed  BIGINT NOT NULL DEFAULT 10737418240,
    last_updated       TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS user_invitations (
    id           UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    email        VARCHAR(255) NOT NULL,
    token        VARCHAR(255) NOT NULL UNIQUE,
    role         userrole     NOT NULL DEFAULT 'member',
    role_id      UUID REFERENCES roles(id) ON DELETE SET NULL,
    status       invitationstatus NOT NULL DEFAULT 'pending',
    first_name   VARCHAR(100),
    last_name    VARCHAR(100),
    phone        VARCHAR(50),
    invited_by   UUID REFERENCES users(id) ON DELETE SET NULL,
    invited_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at   TIMESTAMPTZ NOT NULL,
    accepted_at  TIMESTAMPTZ,
    accepted_by  UUID REFERENCES users(id) ON DELETE SET NULL
);

CREATE TABLE IF NOT EXISTS import_jobs (
    id               UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    filename         VARCHAR(255) NOT NULL,
    file_key         VARCHAR(500),
    total_rows       INTEGER NOT NULL DEFAULT 0,
    processed_rows   INTEGER NOT NULL DEFAULT 0,
    successful_rows  INTEGER NOT NULL DEFAULT 0,
    failed_rows      INTEGER NOT NULL DEFAULT 0,
    status           importjobstatus NOT NULL DEFAULT 'processing',
    errors           JSONB   NOT NULL DEFAULT '[]'::jsonb,
    imported_by      UUID REFERENCES users(id) ON DELETE SET NULL,
    started_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    completed_at     TIMESTAMPTZ
);

-- Step 7/8: indexes ---------------------------------------------------------
CREATE INDEX IF NOT EXISTS idx_users_status ON users (status);
CREATE INDEX IF NOT EXISTS idx_users_role ON users (role);
CREATE INDEX IF NOT EXISTS idx_users_role_id ON users (role_id);
CREATE INDEX IF NOT EXISTS idx_users_created_at ON users (created_at);
CREATE INDEX IF NOT EXISTS idx_users_member_since ON users (member_since);
CREATE INDEX IF NOT EXISTS idx_users_email_verification_token ON users (email_verification_token);
CREATE INDEX IF NOT EXISTS idx_users_password_reset_token ON users (password_reset_token);
CREATE INDEX IF NOT EXISTS idx_users_show_in_directory ON users (show_in_directory) WHERE show_in_directory;
CREATE INDEX IF NOT EXISTS idx_users_last_first ON users (last_name, first_name);

CREATE INDEX IF NOT EXISTS idx_events_start_at ON events (start_at);
CREATE INDEX IF NOT EXISTS idx_events_published ON events (published);
CREATE INDEX IF NOT EXISTS idx_events_created_by ON events (created_by);

CREATE INDEX IF NOT EXISTS idx_event_rsvps_event_id ON event_rsvps (event_id);
CREATE INDEX IF NOT EXISTS idx_event_rsvps_user_id ON event_rsvps (user_id);
CREATE INDEX IF NOT EXISTS idx_event_rsvps_status ON event_rsvps (event_id, rsvp_status);

CREATE INDEX IF NOT EXISTS idx_event_galleries_event_id ON event_galleries (event_id);

CREATE INDEX IF NOT EXISTS idx_subscription_plans_active ON subscription_plans (active);

CREATE INDEX IF NOT EXISTS idx_subscriptions_user_id ON subscriptions (user_id);
CREATE INDEX IF NOT EXISTS idx_subscriptions_plan_id ON subscriptions (plan_id);
CREATE INDEX IF NOT EXISTS idx_subscriptions_status ON subscriptions (status);
CREATE INDEX IF NOT EXISTS idx_subscriptions_end_date ON subscriptions (end_date);
CREATE INDEX IF NOT EXISTS idx_subscriptions_stripe_subscription_id ON subscriptions (stripe_subscription_id);

CREATE INDEX IF NOT EXISTS idx_donations_user_id ON donations (user_id);
CREATE INDEX IF NOT EXISTS idx_donations_status ON donations (status);
CREATE INDEX IF NOT EXISTS idx_donations_type ON donations (donation_type);
CREATE INDEX IF NOT EXISTS idx_donations_created_at ON donations (created_at);
CREATE INDEX IF NOT EXISTS idx_donations_donor_email ON donations (donor_email);
CREATE INDEX IF NOT EXISTS idx_donations_stripe_session ON donations (stripe_checkout_session_id);

CREATE INDEX IF NOT EXISTS idx_newsletter_archives_published_date ON newsletter_archives (published_date);
CREATE INDEX IF NOT EXISTS idx_financial_reports_year ON financial_reports (year);
CREATE INDEX IF NOT EXISTS idx_bylaws_documents_is_current ON bylaws_documents (is_current);

CREATE INDEX IF NOT EXISTS idx_permissions_module ON permissions (module);
CREATE INDEX IF NOT EXISTS idx_role_permissions_role_id ON role_permissions (role_id);
CREATE INDEX IF NOT EXISTS idx_role_permissions_permission_id ON role_permissions (permission_id);
CREATE INDEX IF NOT EXISTS idx_roles_is_system_role ON roles (is_system_role);

CREATE INDEX IF NOT EXISTS idx_user_invitations_email ON user_invitations (email);
CREATE INDEX IF NOT EXISTS idx_user_invitations_status ON user_invitations (status);
CREATE INDEX IF NOT EXISTS idx_user_invitations_expires_at ON user_invitations (expires_at);

CREATE INDEX IF NOT EXISTS idx_import_jobs_imported_by ON import_jobs (imported_by);
CREATE INDEX IF NOT EXISTS idx_import_jobs_status ON import_jobs (status);

-- Step 8/8: default data ----------------------------------------------------
INSERT INTO storage_usage (total_bytes_used, max_bytes_allowed)
SELECT 0, 10737418240
WHERE NOT EXISTS (SELECT 1 FROM storage_usage);
