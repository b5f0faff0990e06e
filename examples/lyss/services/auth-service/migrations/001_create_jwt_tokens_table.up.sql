-- lockstep:requires user-service:001
-- 认证服务: JWT令牌表 (jwt_tokens) — refresh tokens and revocations
BEGIN;

CREATE TABLE jwt_tokens (
    id           UUID         PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      UUID         NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    jti          VARCHAR(64)  NOT NULL,
    token_type   VARCHAR(16)  NOT NULL CHECK (token_type IN ('access', 'refresh')),
    token_hash   CHAR(64)     NOT NULL,
    device_info  VARCHAR(255),
    ip_address   INET,
    issued_at    TIMESTAMPTZ  NOT NULL DEFAULT now(),
    expires_at   TIMESTAMPTZ  NOT NULL,
    revoked_at   TIMESTAMPTZ,
    CONSTRAINT uq_jwt_tokens_jti UNIQUE (jti),
    CONSTRAINT jwt_tokens_expiry_after_issue CHECK (expires_at > issued_at)
);

CREATE INDEX idx_jwt_tokens_user_active ON jwt_tokens (user_id, expires_at)
    WHERE revoked_at IS NULL;
CREATE INDEX idx_jwt_tokens_expires_at ON jwt_tokens (expires_at);

COMMENT ON TABLE jwt_tokens IS 'JWT令牌表: issued tokens, so that they can be revoked before they expire';
COMMENT ON COLUMN jwt_tokens.token_hash IS 'hex SHA-256 of the token; the token itself is never stored';

COMMIT;
