-- lockstep:parents 004 005
-- Merges the two heads of user-service. Nothing to change in the schema
-- beyond what both branches did; the check below ties the two together.
BEGIN;

ALTER TABLE users ADD CONSTRAINT users_phone_needs_locale
    CHECK (phone IS NULL OR locale IS NOT NULL);

COMMIT;
