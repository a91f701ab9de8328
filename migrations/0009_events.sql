-- 0009: events. Visibility (public, or members only), the zone the event
-- is planned in, and an iCalendar SEQUENCE that grows with every change of
-- a published event. A full event keeps further "yes" answers on a
-- waitlist, promoted in order when a seat frees. Deleted events leave a
-- cancellation for the calendar feeds (STATUS:CANCELLED) for a while.
-- Each member may hold one calendar-feed token, stored as its hash.

ALTER TABLE events
    ADD COLUMN IF NOT EXISTS visibility VARCHAR(10) NOT NULL DEFAULT 'members'
        CHECK (visibility IN ('public', 'members')),
    ADD COLUMN IF NOT EXISTS time_zone  VARCHAR(64) NOT NULL DEFAULT 'UTC',
    ADD COLUMN IF NOT EXISTS sequence   INTEGER     NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS published_at TIMESTAMPTZ;

ALTER TABLE event_rsvps
    ADD COLUMN IF NOT EXISTS waitlisted BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE IF NOT EXISTS event_cancellations (
    calendar_uid VARCHAR(255) PRIMARY KEY,
    title        VARCHAR(255) NOT NULL,
    start_at     TIMESTAMPTZ  NOT NULL,
    end_at       TIMESTAMPTZ  NOT NULL,
    visibility   VARCHAR(10)  NOT NULL,
    sequence     INTEGER      NOT NULL,
    cancelled_at TIMESTAMPTZ  NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS calendar_tokens (
    user_id     UUID PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    token_hash  BYTEA       NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
