-- 会话管理: ChatSummary 表 (chat_summaries)
BEGIN;

CREATE TABLE IF NOT EXISTS chat_summaries (
    id               UUID        PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id       UUID        NOT NULL REFERENCES chat_sessions (id) ON DELETE CASCADE,
    summary          TEXT        NOT NULL,
    last_message_id  UUID        NOT NULL,
    token_count      INTEGER     NOT NULL DEFAULT 0 CHECK (token_count >= 0),
    created_at       TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX IF NOT EXISTS idx_session_summary ON chat_summaries (session_id, created_at DESC);

COMMENT ON TABLE chat_summaries IS '摘要表: summaries of long sessions, newest last';

COMMIT;
