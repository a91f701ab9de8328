-- 0021: a reminder before an event to those who said "yes". Each answer
-- records the start it was reminded of: once per answer, and again only if
-- the event moves (the old platform's counters on `users` count them too).
ALTER TABLE event_rsvps
    ADD COLUMN IF NOT EXISTS reminded_for TIMESTAMPTZ;
