-- lockstep:requires user-service:001
-- 认证服务: OAuth集成表 (oauth_connections)
BEGIN;

CREATE TABLE oauth_connections (
    id                BIGSERIAL    PRIMARY KEY,
    user_id           UUID         NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider          VARCHAR(32)  NOT NULL CHECK (provider IN ('github', 'google', 'wechat', 'feishu')),
    provider_user_id  VARCHAR(255) NOT NULL,
    access_token_enc  BYTEA,
    refresh_token_enc BYTEA,
    scopes            TEXT[]       NOT NULL DEFAULT '{}',
    expires_at        TIMESTAMPTZ,
    created_at        TIMESTAMPTZ  NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ  NOT NULL DEFAULT now(),
    CONSTRAINT uq_oauth_provider_user UNIQUE (provider, provider_user_id),
    CONSTRAINT uq_oauth_user_provider UNIQUE (user_id, provider)
);

COMMENT ON TABLE oauth_connections IS 'OAuth集成表: external identities linked to a user';
COMMENT ON COLUMN oauth_connections.access_token_enc IS 'encrypted by the auth service; never plain text';

COMMIT;
