-- 0015: whether a member holds a subscription covering an instant, as one
-- function rather than a condition copied into each query that needs it
-- (the nightly expiry job, a refund or an immediate cancellation).
CREATE OR REPLACE FUNCTION loaf_covered(member uuid, at timestamptz) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (
        SELECT 1 FROM subscriptions c
        WHERE c.user_id = member AND c.status = 'active'
          AND c.start_date <= at AND (c.end_date IS NULL OR c.end_date > at))
$$;
