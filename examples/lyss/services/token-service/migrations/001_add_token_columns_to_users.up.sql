-- lockstep:requires user-service:006
-- lockstep:allow LS103
-- Token 与邀请码系统: users 表新增 role / token_balance / token_updated_at.
-- Idempotent as the original script was: safe on a database where someone
-- already ran it by hand.
-- LS103: idx_users_role is built in the same transaction that adds role, so
-- the index and the column appear together; role has two values and users
-- is read far more than written during a deploy.
BEGIN;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                   WHERE table_schema = current_schema()
                     AND table_name = 'users' AND column_name = 'role') THEN
        ALTER TABLE users ADD COLUMN role VARCHAR(32) NOT NULL DEFAULT 'user';
        ALTER TABLE users ADD CONSTRAINT users_role_valid CHECK (role IN ('admin', 'user'));
    END IF;
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                   WHERE table_schema = current_schema()
                     AND table_name = 'users' AND column_name = 'token_balance') THEN
        ALTER TABLE users ADD COLUMN token_balance BIGINT NOT NULL DEFAULT 0;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                   WHERE table_schema = current_schema()
                     AND table_name = 'users' AND column_name = 'token_updated_at') THEN
        ALTER TABLE users ADD COLUMN token_updated_at TIMESTAMPTZ;
    END IF;
END
$$;

CREATE INDEX IF NOT EXISTS idx_users_role ON users (role);

COMMENT ON COLUMN users.role IS '用户角色: admin | user';
COMMENT ON COLUMN users.token_balance IS '当前 token 余额; the ledger is the source of truth';
COMMENT ON COLUMN users.token_updated_at IS '最近一次余额变动时间';

COMMIT;
