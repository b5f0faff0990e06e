-- lockstep:requires user-service:001
-- 群组服务: 群组基础表 (groups)
BEGIN;

CREATE TABLE groups (
    id           UUID         PRIMARY KEY DEFAULT gen_random_uuid(),
    name         VARCHAR(128) NOT NULL,
    slug         VARCHAR(64)  NOT NULL,
    description  TEXT,
    owner_id     UUID         NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    visibility   VARCHAR(16)  NOT NULL DEFAULT 'private'
                 CHECK (visibility IN ('private', 'internal', 'public')),
    max_members  INTEGER      NOT NULL DEFAULT 50 CHECK (max_members BETWEEN 1 AND 10000),
    created_at   TIMESTAMPTZ  NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ  NOT NULL DEFAULT now(),
    CONSTRAINT uq_groups_slug UNIQUE (slug),
    CONSTRAINT groups_slug_format CHECK (slug ~ '^[a-z0-9][a-z0-9-]*$')
);

CREATE INDEX idx_groups_owner ON groups (owner_id);

COMMENT ON TABLE groups IS '群组基础表: teams that share credentials and quotas';

COMMIT;
