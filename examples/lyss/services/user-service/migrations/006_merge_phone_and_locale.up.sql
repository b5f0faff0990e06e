-- lockstep:parents 004 005
-- lockstep:allow LS106
-- Merges the two heads of user-service. Nothing to change in the schema
-- beyond what both branches did; the check below ties the two together.
-- LS106: every existing row passes the check (phone is new and NULL), and
-- locale is NOT NULL with a default, so validating it reads users once and
-- cannot fail; NOT VALID plus a separate VALIDATE would buy nothing here.
BEGIN;
SET LOCAL lock_timeout = '5s';

ALTER TABLE users ADD CONSTRAINT users_phone_needs_locale
    CHECK (phone IS NULL OR locale IS NOT NULL);

COMMIT;
