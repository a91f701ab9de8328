-- 0012: a payment method is one of a known set, as the application's
-- `PaymentMethod` type is: online (through the provider), cash, cheque,
-- bank_transfer, and for donations in_kind. Rows written by the old
-- platform under other spellings are brought into the set ('stripe' and
-- 'card' were online payments, 'check' a cheque, ...); a value with no
-- known meaning is kept in the row's notes, word for word, and the method
-- left empty. Then a CHECK holds every later write to the set.
CREATE FUNCTION pg_temp.known_method(raw TEXT) RETURNS TEXT
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE regexp_replace(lower(btrim(raw)), '[\s-]+', '_', 'g')
        WHEN 'online' THEN 'online'
        WHEN 'stripe' THEN 'online'
        WHEN 'card' THEN 'online'
        WHEN 'cash' THEN 'cash'
        WHEN 'cheque' THEN 'cheque'
        WHEN 'check' THEN 'cheque'
        WHEN 'bank_transfer' THEN 'bank_transfer'
        WHEN 'transfer' THEN 'bank_transfer'
        WHEN 'bank' THEN 'bank_transfer'
        WHEN 'wire' THEN 'bank_transfer'
        WHEN 'in_kind' THEN 'in_kind'
    END
$$;

UPDATE subscriptions
   SET manual_payment_notes = concat_ws(E'\n', manual_payment_notes,
           'Payment method on the old platform: ' || payment_method),
       payment_method = NULL
 WHERE payment_method IS NOT NULL
   AND pg_temp.known_method(payment_method) IS NULL;
UPDATE subscriptions SET payment_method = pg_temp.known_method(payment_method)
 WHERE payment_method IS DISTINCT FROM pg_temp.known_method(payment_method);
-- A membership is not paid in kind.
UPDATE subscriptions
   SET manual_payment_notes = concat_ws(E'\n', manual_payment_notes,
           'Payment method on the old platform: in kind'),
       payment_method = NULL
 WHERE payment_method = 'in_kind';

UPDATE donations
   SET notes = concat_ws(E'\n', notes,
           'Payment method on the old platform: ' || payment_method),
       payment_method = NULL
 WHERE payment_method IS NOT NULL
   AND pg_temp.known_method(payment_method) IS NULL;
UPDATE donations SET payment_method = pg_temp.known_method(payment_method)
 WHERE payment_method IS DISTINCT FROM pg_temp.known_method(payment_method);

ALTER TABLE subscriptions DROP CONSTRAINT IF EXISTS subscriptions_payment_method_check;
ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_payment_method_check
    CHECK (payment_method IN ('online', 'cash', 'cheque', 'bank_transfer'));
ALTER TABLE donations DROP CONSTRAINT IF EXISTS donations_payment_method_check;
ALTER TABLE donations ADD CONSTRAINT donations_payment_method_check
    CHECK (payment_method IN ('online', 'cash', 'cheque', 'bank_transfer', 'in_kind'));
