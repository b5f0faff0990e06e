-- 凭证服务: 供应商凭证表 (provider_credentials)
-- API keys of model providers, owned by a user or by a group.
BEGIN;

CREATE TABLE provider_credentials (
    id             UUID         PRIMARY KEY DEFAULT gen_random_uuid(),
    owner_type     VARCHAR(8)   NOT NULL CHECK (owner_type IN ('user', 'group', 'system')),
    owner_id       UUID,
    provider       VARCHAR(32)  NOT NULL,
    name           VARCHAR(128) NOT NULL,
    api_key_enc    BYTEA        NOT NULL,
    key_hint       VARCHAR(8)   NOT NULL,
    base_url       TEXT,
    is_active      BOOLEAN      NOT NULL DEFAULT TRUE,
    last_used_at   TIMESTAMPTZ,
    created_at     TIMESTAMPTZ  NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ  NOT NULL DEFAULT now(),
    CONSTRAINT provider_credentials_owner CHECK ((owner_type = 'system') = (owner_id IS NULL)),
    CONSTRAINT uq_provider_credentials_name UNIQUE (owner_type, owner_id, name)
);

CREATE INDEX idx_provider_credentials_owner ON provider_credentials (owner_type, owner_id)
    WHERE is_active;
CREATE INDEX idx_provider_credentials_provider ON provider_credentials (provider);

COMMENT ON TABLE provider_credentials IS '供应商凭证表: encrypted provider API keys';
COMMENT ON COLUMN provider_credentials.key_hint IS 'last four characters of the key, for display';

COMMIT;
