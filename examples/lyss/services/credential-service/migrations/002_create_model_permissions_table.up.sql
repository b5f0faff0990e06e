-- lockstep:requires group-service:001
-- 凭证服务: 模型权限表 (model_permissions)
-- Grants name groups by id; the group service must have its table first
-- (it lives in another database, so the link is checked by the services).
BEGIN;

CREATE TABLE model_permissions (
    id             BIGSERIAL    PRIMARY KEY,
    credential_id  UUID         NOT NULL REFERENCES provider_credentials (id) ON DELETE CASCADE,
    grantee_type   VARCHAR(8)   NOT NULL CHECK (grantee_type IN ('user', 'group')),
    grantee_id     UUID         NOT NULL,
    model_pattern  VARCHAR(128) NOT NULL DEFAULT '*',
    max_tokens_per_request INTEGER CHECK (max_tokens_per_request > 0),
    created_at     TIMESTAMPTZ  NOT NULL DEFAULT now(),
    CONSTRAINT uq_model_permissions UNIQUE (credential_id, grantee_type, grantee_id, model_pattern)
);

CREATE INDEX idx_model_permissions_grantee ON model_permissions (grantee_type, grantee_id);

COMMENT ON TABLE model_permissions IS '模型权限表: which user or group may use which models of a credential';
COMMENT ON COLUMN model_permissions.model_pattern IS 'glob over model names, e.g. gpt-4* or *';

COMMIT;
