-- 0014: every amount of money is a whole number of cents in `bigint`, the
-- width of the application's `i64`: one representation from the request
-- to the row, with no narrowing on the way (an `integer` stops at 21
-- million in units of the currency). The old platform reads bigint as it
-- read integer. Each column is altered only while still narrower, so a
-- re-run changes nothing.
DO $$
DECLARE
    col RECORD;
BEGIN
    FOR col IN
        SELECT c.table_name, c.column_name FROM information_schema.columns c
         WHERE c.table_schema = 'public' AND c.data_type = 'integer'
           AND (c.table_name, c.column_name) IN (
               ('subscription_plans', 'price_cents'),
               ('subscription_plans', 'minimum_price_cents'),
               ('subscription_plans', 'suggested_price_cents'),
               ('subscriptions', 'base_subscription_cents'),
               ('subscriptions', 'donation_cents'),
               ('subscriptions', 'amount_paid_cents'),
               ('subscriptions', 'refunded_cents'),
               ('membership_checkouts', 'base_cents'),
               ('membership_checkouts', 'donation_cents'),
               ('membership_checkouts', 'total_cents'),
               ('payment_events', 'refunded_cents'),
               ('donations', 'amount_cents'),
               ('donations', 'refunded_cents'))
    LOOP
        EXECUTE format('ALTER TABLE %I ALTER COLUMN %I TYPE bigint', col.table_name, col.column_name);
    END LOOP;
END
$$;
