-- 0011: what the validation queue compares an applicant with, so that a
-- second account of an existing member is noticed before it is validated.
-- Stored keys (computed once per write, like search_text), each indexed so
-- that a comparison at 100,000 members reads a handful of rows:
--   name_key (0004): "last first", folded; a trigram index finds names
--            that are the same or nearly (a typo, a missing accent);
--   phone_key: the last nine digits of the phone, so "+44 20 7946 0958"
--            and "020 7946 0958" meet; NULL below six digits;
--   address_key: the folded street with the zip code, punctuation and
--            repeated spaces dropped; NULL without a street.
ALTER TABLE users
    ADD COLUMN IF NOT EXISTS phone_key TEXT
        GENERATED ALWAYS AS (
            CASE WHEN length(regexp_replace(COALESCE(phone, ''), '[^0-9]', '', 'g')) >= 6
                 THEN right(regexp_replace(phone, '[^0-9]', '', 'g'), 9) END
        ) STORED,
    ADD COLUMN IF NOT EXISTS address_key TEXT
        GENERATED ALWAYS AS (
            CASE WHEN btrim(COALESCE(address, '')) <> ''
                 THEN btrim(regexp_replace(
                          loaf_fold(address || ' ' || COALESCE(zipcode, '')),
                          '[^a-z0-9]+', ' ', 'g')) END
        ) STORED;
CREATE INDEX IF NOT EXISTS ix_users_name_trgm ON users USING gin (name_key gin_trgm_ops);
CREATE INDEX IF NOT EXISTS ix_users_phone_key ON users (phone_key) WHERE phone_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS ix_users_address_key ON users (address_key) WHERE address_key IS NOT NULL;
