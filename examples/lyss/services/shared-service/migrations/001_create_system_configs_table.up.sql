-- 共享服务: 系统配置表 (system_configs)
BEGIN;

CREATE TABLE system_configs (
    key          VARCHAR(128) PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_.]*$'),
    value        JSONB        NOT NULL,
    description  TEXT,
    is_secret    BOOLEAN      NOT NULL DEFAULT FALSE,
    updated_by   UUID,
    updated_at   TIMESTAMPTZ  NOT NULL DEFAULT now()
);

INSERT INTO system_configs (key, value, description) VALUES
    ('registration.enabled', 'true', '是否开放注册'),
    ('quota.default_tokens_per_month', '1000000', 'default monthly token quota of a new user'),
    ('gateway.request_timeout_ms', '60000', 'upstream timeout of the API gateway');

COMMENT ON TABLE system_configs IS '系统配置表: platform-wide settings, one JSON value per key';

COMMIT;
