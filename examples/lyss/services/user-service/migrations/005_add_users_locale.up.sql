-- lockstep:parents 003
-- Written in parallel with 004_add_users_phone; 006 merges the two heads.
BEGIN;
SET LOCAL lock_timeout = '5s';

ALTER TABLE users ADD COLUMN locale VARCHAR(16) NOT NULL DEFAULT 'zh-CN';

COMMENT ON COLUMN users.locale IS 'BCP 47 language tag for e-mails and notifications';

COMMIT;
