-- lockstep:requires user-service:001
-- 共享服务: 通知消息表 (notifications)
-- Addressed to users of the identity database; user ids are checked by the service.
BEGIN;

CREATE TABLE notifications (
    id          BIGSERIAL    PRIMARY KEY,
    user_id     UUID         NOT NULL,
    kind        VARCHAR(32)  NOT NULL CHECK (kind IN ('system', 'quota', 'billing', 'group', 'security')),
    title       VARCHAR(255) NOT NULL,
    body        TEXT         NOT NULL,
    payload     JSONB        NOT NULL DEFAULT '{}'::jsonb,
    read_at     TIMESTAMPTZ,
    created_at  TIMESTAMPTZ  NOT NULL DEFAULT now()
);

CREATE INDEX idx_notifications_user_unread ON notifications (user_id, created_at DESC)
    WHERE read_at IS NULL;

COMMENT ON TABLE notifications IS '通知消息表: in-app notifications';

COMMIT;
