-- lockstep:requires user-service:001 gateway-service:001
-- 计费服务: 使用记录表 (usage_records)
-- Each record points at a gateway request and a user, both in other databases.
BEGIN;

CREATE TABLE usage_records (
    id                BIGSERIAL     PRIMARY KEY,
    user_id           UUID          NOT NULL,
    group_id          UUID,
    request_id        UUID          NOT NULL,
    provider          VARCHAR(32)   NOT NULL,
    model             VARCHAR(128)  NOT NULL,
    prompt_tokens     INTEGER       NOT NULL DEFAULT 0 CHECK (prompt_tokens >= 0),
    completion_tokens INTEGER       NOT NULL DEFAULT 0 CHECK (completion_tokens >= 0),
    total_tokens      INTEGER       GENERATED ALWAYS AS (prompt_tokens + completion_tokens) STORED,
    cost              NUMERIC(14,6) NOT NULL DEFAULT 0,
    currency          CHAR(3)       NOT NULL DEFAULT 'CNY',
    recorded_at       TIMESTAMPTZ   NOT NULL DEFAULT now(),
    CONSTRAINT uq_usage_records_request UNIQUE (request_id)
);

CREATE INDEX idx_usage_records_user_time ON usage_records (user_id, recorded_at DESC);
CREATE INDEX idx_usage_records_group_time ON usage_records (group_id, recorded_at DESC)
    WHERE group_id IS NOT NULL;

COMMENT ON TABLE usage_records IS '使用记录表: billable usage, one row per gateway request';

COMMIT;
