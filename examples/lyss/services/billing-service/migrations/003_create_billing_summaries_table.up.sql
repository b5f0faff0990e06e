-- 计费服务: 账单汇总表 (billing_summaries)
BEGIN;

CREATE TABLE billing_summaries (
    id              BIGSERIAL     PRIMARY KEY,
    account_type    VARCHAR(8)    NOT NULL CHECK (account_type IN ('user', 'group')),
    account_id      UUID          NOT NULL,
    period          DATE          NOT NULL CHECK (extract(day FROM period) = 1),
    total_requests  BIGINT        NOT NULL DEFAULT 0,
    total_tokens    BIGINT        NOT NULL DEFAULT 0,
    total_cost      NUMERIC(16,6) NOT NULL DEFAULT 0,
    currency        CHAR(3)       NOT NULL DEFAULT 'CNY',
    status          VARCHAR(16)   NOT NULL DEFAULT 'open'
                    CHECK (status IN ('open', 'closed', 'invoiced', 'paid')),
    closed_at       TIMESTAMPTZ,
    CONSTRAINT uq_billing_summaries_period UNIQUE (account_type, account_id, period)
);

COMMENT ON TABLE billing_summaries IS '账单汇总表: monthly totals per user or group';
COMMENT ON COLUMN billing_summaries.period IS 'first day of the billed month';

COMMIT;
