-- 用户服务: 用户配额表 (user_quotas)
BEGIN;

CREATE TABLE user_quotas (
    id             BIGSERIAL   PRIMARY KEY,
    user_id        UUID        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    quota_type     VARCHAR(32) NOT NULL
                   CHECK (quota_type IN ('requests_per_day', 'tokens_per_month', 'storage_bytes')),
    quota_limit    BIGINT      NOT NULL CHECK (quota_limit >= 0),
    quota_used     BIGINT      NOT NULL DEFAULT 0 CHECK (quota_used >= 0),
    period_start   TIMESTAMPTZ NOT NULL DEFAULT date_trunc('month', now()),
    reset_at       TIMESTAMPTZ,
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT uq_user_quotas_user_type UNIQUE (user_id, quota_type)
);

CREATE INDEX idx_user_quotas_reset_at ON user_quotas (reset_at) WHERE reset_at IS NOT NULL;

COMMENT ON TABLE user_quotas IS '用户配额表: usage limits per user and quota type';

COMMIT;
