-- 0022: imports carry memberships. A member imported with a plan and the
-- last day paid (or the day the period began) gets a subscription of method
-- `imported`, with no amount (the money was counted before this platform),
-- so they expire and are reminded like everyone else.
ALTER TABLE subscriptions DROP CONSTRAINT IF EXISTS subscriptions_payment_method_check;
ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_payment_method_check
    CHECK (payment_method IN ('online', 'cash', 'cheque', 'bank_transfer', 'complimentary', 'imported'));
