-- 0018: a grace period after a membership runs out. For `grace_days` after
-- the end of the last period paid, an `expired` member keeps the members'
-- content (and is reminded); then it closes. A member who cancelled has no
-- grace: they chose to leave.
ALTER TABLE organisation_settings
    ADD COLUMN IF NOT EXISTS grace_days integer NOT NULL DEFAULT 30
        CHECK (grace_days BETWEEN 0 AND 365);

-- When `member`'s grace ends, if they are in it at `at`: their latest
-- period that ran out (not one cancelled), plus the organisation's days.
-- NULL when they are not `expired` or the grace is over. One function,
-- read where a request's caller is loaded and by the calendar feed.
CREATE OR REPLACE FUNCTION loaf_grace_ends(member uuid, at timestamptz) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT g.ends
    FROM (SELECT max(s.end_date) + make_interval(days => (SELECT grace_days FROM organisation_settings)) AS ends
          FROM subscriptions s JOIN users u ON u.id = s.user_id
          WHERE s.user_id = member AND u.status = 'expired' AND s.status = 'expired') g
    WHERE g.ends > at
$$;
