-- 0013: `role_id` is the one source of a user's (and an invitation's)
-- role; the old platform's `role` enum column is kept in step by the
-- database, for whatever of the old platform still reads it:
--   * a write of `role_id` sets `role` to the role's code when it is one
--     of the enum's five values, otherwise `member` (a custom role);
--   * a row written without `role_id` (the old platform's writers), or a
--     change of `role` alone, takes the system role of that code.
-- The migrate run's seed gives every older row its `role_id` once the
-- system roles exist, so readers join `roles` on `role_id` alone.
CREATE OR REPLACE FUNCTION loaf_role_in_step() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.role_id IS NULL
       OR (TG_OP = 'UPDATE' AND NEW.role_id IS NOT DISTINCT FROM OLD.role_id
           AND NEW.role IS DISTINCT FROM OLD.role) THEN
        NEW.role_id := (SELECT id FROM roles WHERE code = NEW.role::text);
    ELSE
        NEW.role := (SELECT CASE WHEN code IN ('guest', 'member', 'admin', 'superadmin', 'finance')
                                 THEN code ELSE 'member' END::userrole
                     FROM roles WHERE id = NEW.role_id);
    END IF;
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS users_role_in_step ON users;
CREATE TRIGGER users_role_in_step BEFORE INSERT OR UPDATE OF role, role_id ON users
    FOR EACH ROW EXECUTE FUNCTION loaf_role_in_step();
DROP TRIGGER IF EXISTS user_invitations_role_in_step ON user_invitations;
CREATE TRIGGER user_invitations_role_in_step BEFORE INSERT OR UPDATE OF role, role_id ON user_invitations
    FOR EACH ROW EXECUTE FUNCTION loaf_role_in_step();

-- Rows from before, where the roles exist already (an adopted database).
UPDATE users u SET role_id = r.id FROM roles r WHERE u.role_id IS NULL AND r.code = u.role::text;
UPDATE user_invitations i SET role_id = r.id FROM roles r
 WHERE i.role_id IS NULL AND r.code = i.role::text;
