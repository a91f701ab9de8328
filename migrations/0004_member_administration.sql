-- 0004: member administration: accent- and case-insensitive search, and the
-- audit trail of status and role changes.

CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;

-- unaccent() is only STABLE (its dictionary could change), so it cannot be
-- indexed directly; this wrapper names the dictionary and is IMMUTABLE.
-- Searches must call it exactly as the index does.
CREATE OR REPLACE FUNCTION loaf_fold(value text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, value)) $$;

-- The folded text is stored, not computed per row: unaccent costs a few
-- microseconds a call, which a search rechecking or sorting tens of
-- thousands of rows would pay each time.
--   search_text: name and email, for substring search (a trigram index
--                serves `search_text LIKE '%term%'` for terms of three
--                characters or more);
--   name_key:    "last first", the list's default order (Émile with the Es,
--                Ñúñez with the Ns), the id breaking ties.
ALTER TABLE users
    ADD COLUMN IF NOT EXISTS search_text TEXT
        GENERATED ALWAYS AS (loaf_fold(first_name || ' ' || last_name || ' ' || email)) STORED,
    ADD COLUMN IF NOT EXISTS name_key TEXT
        GENERATED ALWAYS AS (loaf_fold(last_name || ' ' || first_name)) STORED;
CREATE INDEX IF NOT EXISTS ix_users_search ON users USING gin (search_text gin_trgm_ops);
CREATE INDEX IF NOT EXISTS ix_users_name_order ON users (name_key, id);

-- Who changed a member's status or role, when, from what, to what, and why.
CREATE TABLE IF NOT EXISTS member_audit_log (
    id          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     UUID        NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    actor_id    UUID        REFERENCES users(id) ON DELETE SET NULL,
    action      VARCHAR(20) NOT NULL CHECK (action IN ('status', 'role', 'profile')),
    from_value  TEXT,
    to_value    TEXT,
    reason      TEXT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS ix_member_audit_log_user ON member_audit_log (user_id, created_at DESC);
