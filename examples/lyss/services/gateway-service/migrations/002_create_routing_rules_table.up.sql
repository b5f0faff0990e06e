-- lockstep:requires credential-service:001
-- 网关服务: 路由配置表 (routing_rules)
BEGIN;

CREATE TABLE routing_rules (
    id             SERIAL       PRIMARY KEY,
    name           VARCHAR(128) NOT NULL UNIQUE,
    model_pattern  VARCHAR(128) NOT NULL,
    credential_id  UUID         NOT NULL REFERENCES provider_credentials (id) ON DELETE CASCADE,
    priority       INTEGER      NOT NULL DEFAULT 100,
    weight         INTEGER      NOT NULL DEFAULT 1 CHECK (weight > 0),
    conditions     JSONB        NOT NULL DEFAULT '{}'::jsonb,
    is_enabled     BOOLEAN      NOT NULL DEFAULT TRUE,
    created_at     TIMESTAMPTZ  NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ  NOT NULL DEFAULT now()
);

CREATE INDEX idx_routing_rules_lookup ON routing_rules (model_pattern, priority) WHERE is_enabled;

COMMENT ON TABLE routing_rules IS '路由配置表: which credential serves which model, by priority and weight';

COMMIT;
