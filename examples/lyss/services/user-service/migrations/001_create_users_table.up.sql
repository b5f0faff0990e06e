-- 用户服务: 用户基础表 (users)
-- The identity every other service refers to.
BEGIN;

CREATE TABLE users (
    id             UUID         PRIMARY KEY DEFAULT gen_random_uuid(),
    email          VARCHAR(255) NOT NULL,
    username       VARCHAR(64)  NOT NULL,
    password_hash  VARCHAR(255),
    display_name   VARCHAR(128),
    avatar_url     TEXT,
    status         VARCHAR(16)  NOT NULL DEFAULT 'active'
                   CHECK (status IN ('active', 'suspended', 'deleted')),
    email_verified BOOLEAN      NOT NULL DEFAULT FALSE,
    last_login_at  TIMESTAMPTZ,
    created_at     TIMESTAMPTZ  NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ  NOT NULL DEFAULT now(),
    CONSTRAINT users_email_format CHECK (position('@' IN email) > 1)
);

CREATE UNIQUE INDEX uq_users_email_lower ON users (lower(email));
CREATE UNIQUE INDEX uq_users_username ON users (username);
CREATE INDEX idx_users_status_created ON users (status, created_at DESC);

COMMENT ON TABLE users IS '用户基础表: one row per platform user';
COMMENT ON COLUMN users.password_hash IS 'argon2id hash; NULL for users who sign in only through OAuth';
COMMENT ON COLUMN users.status IS 'active | suspended | deleted (soft delete)';

COMMIT;
