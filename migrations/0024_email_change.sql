-- 0024: a member changes their sign-in address: a link to the new address
-- confirms it (the link carries the address it confirms).
ALTER TABLE account_tokens DROP CONSTRAINT IF EXISTS account_tokens_purpose_check;
ALTER TABLE account_tokens ADD CONSTRAINT account_tokens_purpose_check
    CHECK (purpose IN ('verify_email', 'reset_password', 'change_email'));
ALTER TABLE account_tokens ADD COLUMN IF NOT EXISTS new_email VARCHAR(255);
