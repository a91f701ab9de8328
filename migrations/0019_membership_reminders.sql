-- 0019: renewal reminders on a schedule around the end of a membership's
-- last period (before it, on the day, after it). One row per reminder sent:
-- the key makes each go once per period end, even with two runs at once.
CREATE TABLE IF NOT EXISTS membership_reminders (
    user_id     UUID        NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    period_end  TIMESTAMPTZ NOT NULL,
    offset_days INTEGER     NOT NULL,
    sent_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, period_end, offset_days)
);
