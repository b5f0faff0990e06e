-- 用户服务: 用户配置表 (user_settings)
BEGIN;

CREATE TABLE user_settings (
    user_id        UUID        PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    language       VARCHAR(16) NOT NULL DEFAULT 'zh-CN',
    timezone       VARCHAR(64) NOT NULL DEFAULT 'Asia/Shanghai',
    theme          VARCHAR(16) NOT NULL DEFAULT 'system'
                   CHECK (theme IN ('light', 'dark', 'system')),
    default_model  VARCHAR(128),
    notify_email   BOOLEAN     NOT NULL DEFAULT TRUE,
    preferences    JSONB       NOT NULL DEFAULT '{}'::jsonb,
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

COMMENT ON TABLE user_settings IS '用户配置表: per-user preferences';
COMMENT ON COLUMN user_settings.preferences IS 'free-form UI preferences; keys owned by the web client';

COMMIT;
