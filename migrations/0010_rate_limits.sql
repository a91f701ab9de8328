-- 0010: fixed-window counters for what anyone may ask without signing in
-- (registrations per source address, the "someone tried to register with
-- your address" email per address, anonymous gifts per source and per
-- donor address). Kept in the database because each Lambda container sees
-- only a slice of the traffic; the daily job deletes windows long past.
CREATE TABLE IF NOT EXISTS rate_limits (
    key          VARCHAR(300) PRIMARY KEY,
    window_start TIMESTAMPTZ NOT NULL,
    hits         INTEGER     NOT NULL
);
