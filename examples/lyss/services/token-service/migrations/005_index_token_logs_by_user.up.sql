-- lockstep:no-transaction
-- token_logs grows fast: index it without blocking writers.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_token_logs_user_created
    ON token_logs (user_id, created_at DESC);
