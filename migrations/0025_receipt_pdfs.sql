-- 0025: receipts as PDF. A membership payment's confirmation gets a number
-- the first time it is asked for (`M2026-000001`, per year of its start on
-- the organisation's calendar, without gaps, like the gifts' receipts), and
-- keeps it.
ALTER TABLE subscriptions ADD COLUMN IF NOT EXISTS confirmation_number VARCHAR(20) UNIQUE;
CREATE TABLE IF NOT EXISTS membership_confirmation_counters (
    year        INTEGER PRIMARY KEY,
    last_number INTEGER NOT NULL
);
