-- token_ledger: every change of a balance, positive for grants, negative for use.
BEGIN;

CREATE TABLE IF NOT EXISTS token_ledger (
    id             BIGSERIAL    PRIMARY KEY,
    user_id        UUID         NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    delta          BIGINT       NOT NULL CHECK (delta <> 0),
    balance_after  BIGINT       NOT NULL,
    reason         VARCHAR(32)  NOT NULL
                   CHECK (reason IN ('invite_code', 'admin_grant', 'chat_usage', 'refund', 'adjustment')),
    reference_id   VARCHAR(64),
    created_at     TIMESTAMPTZ  NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS idx_token_ledger_user_created ON token_ledger (user_id, created_at DESC);

COMMENT ON TABLE token_ledger IS 'Token 账本表: 用于审计与余额回算';
COMMENT ON COLUMN token_ledger.delta IS '正数发放, 负数消耗';

COMMIT;
