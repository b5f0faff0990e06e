-- lockstep:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS idx_token_logs_user_created;
