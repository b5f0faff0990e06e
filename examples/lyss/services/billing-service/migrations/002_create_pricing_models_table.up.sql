-- 计费服务: 计费规则表 (pricing_models)
BEGIN;

CREATE TABLE pricing_models (
    id                    SERIAL        PRIMARY KEY,
    provider              VARCHAR(32)   NOT NULL,
    model                 VARCHAR(128)  NOT NULL,
    prompt_price_per_1k   NUMERIC(12,6) NOT NULL CHECK (prompt_price_per_1k >= 0),
    completion_price_per_1k NUMERIC(12,6) NOT NULL CHECK (completion_price_per_1k >= 0),
    currency              CHAR(3)       NOT NULL DEFAULT 'CNY',
    effective_from        TIMESTAMPTZ   NOT NULL DEFAULT now(),
    effective_to          TIMESTAMPTZ,
    CONSTRAINT pricing_models_period CHECK (effective_to IS NULL OR effective_to > effective_from),
    CONSTRAINT uq_pricing_models_start UNIQUE (provider, model, effective_from)
);

CREATE INDEX idx_pricing_models_current ON pricing_models (provider, model)
    WHERE effective_to IS NULL;

COMMENT ON TABLE pricing_models IS '计费规则表: price per 1,000 tokens, by provider and model, over time';

COMMIT;
