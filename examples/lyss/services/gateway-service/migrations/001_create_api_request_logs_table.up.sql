-- lockstep:requires credential-service:001
-- 网关服务: API请求日志表 (api_request_logs)
BEGIN;

CREATE TABLE api_request_logs (
    id                BIGSERIAL    PRIMARY KEY,
    request_id        UUID         NOT NULL DEFAULT gen_random_uuid(),
    user_id           UUID         NOT NULL,
    credential_id     UUID         REFERENCES provider_credentials (id) ON DELETE SET NULL,
    provider          VARCHAR(32)  NOT NULL,
    model             VARCHAR(128) NOT NULL,
    endpoint          VARCHAR(255) NOT NULL,
    status_code       SMALLINT     NOT NULL,
    prompt_tokens     INTEGER      NOT NULL DEFAULT 0,
    completion_tokens INTEGER      NOT NULL DEFAULT 0,
    latency_ms        INTEGER      NOT NULL CHECK (latency_ms >= 0),
    error_message     TEXT,
    client_ip         INET,
    created_at        TIMESTAMPTZ  NOT NULL DEFAULT now(),
    CONSTRAINT uq_api_request_logs_request UNIQUE (request_id)
);

CREATE INDEX idx_api_request_logs_user_created ON api_request_logs (user_id, created_at DESC);
CREATE INDEX idx_api_request_logs_created_brin ON api_request_logs USING brin (created_at);

COMMENT ON TABLE api_request_logs IS 'API请求日志表: one row per proxied model request';

COMMIT;
