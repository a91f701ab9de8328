-- 0017: access follows membership. The content a membership gives (the
-- documents, galleries, members-only events and RSVPs, the directory) needs
-- a membership in force; staff (a role holding any permission beyond that
-- content) keep it regardless, unless the organisation turns this on.
ALTER TABLE organisation_settings
    ADD COLUMN IF NOT EXISTS staff_need_membership boolean NOT NULL DEFAULT false;
