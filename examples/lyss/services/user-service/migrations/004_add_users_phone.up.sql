-- lockstep:parents 003
-- Written in parallel with 005_add_users_locale; 006 merges the two heads.
BEGIN;

ALTER TABLE users
    ADD COLUMN phone          VARCHAR(32),
    ADD COLUMN phone_verified BOOLEAN NOT NULL DEFAULT FALSE;

CREATE UNIQUE INDEX uq_users_phone ON users (phone) WHERE phone IS NOT NULL;

COMMENT ON COLUMN users.phone IS 'E.164 phone number, used for SMS verification';

COMMIT;
