-- token_logs: the real token usage of each model call, with the SubAssistant
-- that made it. The DO block adds assistant_name where an older hand-made
-- token_logs table exists without it, as the original script did.
BEGIN;

CREATE TABLE IF NOT EXISTS token_logs (
    id                 BIGSERIAL    PRIMARY KEY,
    user_id            UUID         NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    total_tokens       INTEGER      NOT NULL CHECK (total_tokens >= 0),
    prompt_tokens      INTEGER      NOT NULL DEFAULT 0,
    completion_tokens  INTEGER      NOT NULL DEFAULT 0,
    model_name         VARCHAR(128) NOT NULL,
    assistant_name     VARCHAR(128),
    created_at         TIMESTAMPTZ  NOT NULL DEFAULT now()
);

DO $body$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                   WHERE table_schema = current_schema()
                     AND table_name = 'token_logs' AND column_name = 'assistant_name') THEN
        ALTER TABLE token_logs ADD COLUMN assistant_name VARCHAR(128);
        RAISE NOTICE 'token_logs.assistant_name added';
    END IF;
END
$body$;

COMMENT ON TABLE token_logs IS 'Token 使用日志表: 记录每次 DeepSeek API 调用的真实 token 使用量';
COMMENT ON COLUMN token_logs.assistant_name IS '调用的 SubAssistant 名称';

COMMIT;
