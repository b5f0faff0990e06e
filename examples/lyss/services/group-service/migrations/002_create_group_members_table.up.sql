-- lockstep:requires user-service:001
-- 群组服务: 群组成员表 (group_members)
BEGIN;

CREATE TABLE group_members (
    group_id   UUID        NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id    UUID        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       VARCHAR(16) NOT NULL DEFAULT 'member'
               CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    joined_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (group_id, user_id)
);

CREATE INDEX idx_group_members_user ON group_members (user_id);

COMMENT ON TABLE group_members IS '群组成员表: who belongs to which group, with which role';

COMMIT;
