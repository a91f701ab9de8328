-- 0020: complimentary periods. An admin extends a membership to a date, or
-- grants one (an honorary member, a volunteer), without payment and with a
-- reason: a subscription of method `complimentary`, amount 0, audited as a
-- `membership` entry of the member's trail.
ALTER TABLE subscriptions DROP CONSTRAINT IF EXISTS subscriptions_payment_method_check;
ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_payment_method_check
    CHECK (payment_method IN ('online', 'cash', 'cheque', 'bank_transfer', 'complimentary'));
ALTER TABLE member_audit_log DROP CONSTRAINT IF EXISTS member_audit_log_action_check;
ALTER TABLE member_audit_log ADD CONSTRAINT member_audit_log_action_check
    CHECK (action IN ('status', 'role', 'profile', 'membership'));
