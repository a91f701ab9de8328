-- 0002: what this platform adds to the old schema for its foundation.

-- Bumped on password change, deactivation and "log out everywhere": every
-- access token carries the version it was issued at and dies when it moves.
ALTER TABLE users ADD COLUMN IF NOT EXISTS token_version INTEGER NOT NULL DEFAULT 0;

-- Emails are compared case-insensitively. The old platform stored them as
-- typed; on an adopted database that holds two spellings of one address this
-- statement fails naming the duplicated key, and nothing of 0002 is applied:
-- merge the two accounts, then run migrate again.
CREATE UNIQUE INDEX IF NOT EXISTS ix_users_email_lower ON users (lower(email));
