-- 会话管理: ChatMessage 表 (chat_messages)
BEGIN;

CREATE TABLE IF NOT EXISTS chat_messages (
    id          UUID         PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id  UUID         NOT NULL REFERENCES chat_sessions (id) ON DELETE CASCADE,
    role        VARCHAR(16)  NOT NULL CHECK (role IN ('user', 'assistant', 'system', 'function')),
    content     TEXT         NOT NULL,
    tokens      INTEGER      NOT NULL DEFAULT 0 CHECK (tokens >= 0),
    created_at  TIMESTAMPTZ  NOT NULL DEFAULT CURRENT_TIMESTAMP,
    sequence    INTEGER      NOT NULL,
    tool_calls  JSONB,
    error       TEXT,
    parent_id   UUID         REFERENCES chat_messages (id) ON DELETE SET NULL,
    meta        JSONB        NOT NULL DEFAULT '{}'::jsonb,
    CONSTRAINT uq_chat_messages_sequence UNIQUE (session_id, sequence)
);

CREATE INDEX IF NOT EXISTS idx_session_messages ON chat_messages (session_id, sequence ASC);
CREATE INDEX IF NOT EXISTS idx_created ON chat_messages (created_at DESC);

COMMENT ON TABLE chat_messages IS '消息表: every message of a session, in sequence';

COMMIT;
