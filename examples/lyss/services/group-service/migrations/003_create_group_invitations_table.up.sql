-- 群组服务: 群组邀请表 (group_invitations)
BEGIN;

CREATE TABLE group_invitations (
    id           UUID         PRIMARY KEY DEFAULT gen_random_uuid(),
    group_id     UUID         NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    inviter_id   UUID         NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    invitee_email VARCHAR(255) NOT NULL,
    role         VARCHAR(16)  NOT NULL DEFAULT 'member'
                 CHECK (role IN ('admin', 'member', 'viewer')),
    token_hash   CHAR(64)     NOT NULL UNIQUE,
    status       VARCHAR(16)  NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'accepted', 'declined', 'expired')),
    expires_at   TIMESTAMPTZ  NOT NULL DEFAULT now() + interval '7 days',
    created_at   TIMESTAMPTZ  NOT NULL DEFAULT now()
);

-- At most one open invitation per group and e-mail address.
CREATE UNIQUE INDEX uq_group_invitations_pending
    ON group_invitations (group_id, lower(invitee_email))
    WHERE status = 'pending';

COMMENT ON TABLE group_invitations IS '群组邀请表: invitations by e-mail, valid for a week';

COMMIT;
