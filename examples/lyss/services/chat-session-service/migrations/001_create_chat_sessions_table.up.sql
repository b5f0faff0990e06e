-- lockstep:requires user-service:001
-- 会话管理: ChatSession 表 (chat_sessions)
BEGIN;

CREATE TABLE IF NOT EXISTS chat_sessions (
    id               UUID          PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id          UUID          NOT NULL,
    title            VARCHAR(255)  NOT NULL DEFAULT '',
    model_name       VARCHAR(128)  NOT NULL,
    system_prompt    TEXT,
    temperature      NUMERIC(3,2)  NOT NULL DEFAULT 0.70 CHECK (temperature BETWEEN 0 AND 2),
    top_p            NUMERIC(3,2)  NOT NULL DEFAULT 1.00 CHECK (top_p > 0 AND top_p <= 1),
    created_by       UUID          NOT NULL,
    created_at       TIMESTAMPTZ   NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at       TIMESTAMPTZ   NOT NULL DEFAULT CURRENT_TIMESTAMP,
    last_message_id  UUID,
    message_count    INTEGER       NOT NULL DEFAULT 0 CHECK (message_count >= 0),
    is_pinned        BOOLEAN       NOT NULL DEFAULT FALSE,
    is_archived      BOOLEAN       NOT NULL DEFAULT FALSE,
    is_deleted       BOOLEAN       NOT NULL DEFAULT FALSE,
    meta             JSONB         NOT NULL DEFAULT '{}'::jsonb
);

CREATE INDEX IF NOT EXISTS idx_user_sessions ON chat_sessions (user_id, updated_at DESC);
CREATE INDEX IF NOT EXISTS idx_pinned ON chat_sessions (is_pinned, updated_at DESC);
CREATE INDEX IF NOT EXISTS idx_archived ON chat_sessions (is_archived);
CREATE INDEX IF NOT EXISTS idx_deleted ON chat_sessions (is_deleted);

COMMENT ON TABLE chat_sessions IS '会话表: a user''s chat sessions';
COMMENT ON COLUMN chat_sessions.is_deleted IS 'soft delete; rows are purged by a background job';

COMMIT;
