-- invite_codes: 一次性邀请码, each redeemed by at most one user.
BEGIN;

CREATE TABLE IF NOT EXISTS invite_codes (
    id           BIGSERIAL    PRIMARY KEY,
    code         VARCHAR(32)  NOT NULL UNIQUE,
    token_amount BIGINT       NOT NULL DEFAULT 1000000 CHECK (token_amount > 0),
    created_by   UUID         REFERENCES users (id) ON DELETE SET NULL,
    redeemed_by  UUID         UNIQUE REFERENCES users (id) ON DELETE SET NULL,
    redeemed_at  TIMESTAMPTZ,
    expires_at   TIMESTAMPTZ,
    created_at   TIMESTAMPTZ  NOT NULL DEFAULT now(),
    CONSTRAINT invite_codes_redeemed_together CHECK ((redeemed_by IS NULL) = (redeemed_at IS NULL))
);

CREATE INDEX IF NOT EXISTS idx_invite_codes_unredeemed ON invite_codes (created_at)
    WHERE redeemed_by IS NULL;

COMMENT ON TABLE invite_codes IS '一次性邀请码表: 默认发放 1,000,000 tokens (100 积分)';

COMMIT;
