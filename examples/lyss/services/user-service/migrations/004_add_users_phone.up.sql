-- lockstep:parents 003
-- lockstep:allow LS103
-- Written in parallel with 005_add_users_locale; 006 merges the two heads.
-- LS103: the index is on a column this file adds, empty in every row, so it
-- builds in one pass over users in the same transaction as the column;
-- CONCURRENTLY would need a file of its own outside a transaction.
BEGIN;
SET LOCAL lock_timeout = '5s';

ALTER TABLE users
    ADD COLUMN phone          VARCHAR(32),
    ADD COLUMN phone_verified BOOLEAN NOT NULL DEFAULT FALSE;

CREATE UNIQUE INDEX uq_users_phone ON users (phone) WHERE phone IS NOT NULL;

COMMENT ON COLUMN users.phone IS 'E.164 phone number, used for SMS verification';

COMMIT;
