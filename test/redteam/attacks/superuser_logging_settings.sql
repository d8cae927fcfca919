-- Issue 11: a superuser agent silences the server log, the guard's backstop, or turns off triggers
-- and foreign-key checks for its session.
-- as: superuser
SET log_min_messages = panic;
SET log_statement = 'none';
SET log_min_error_statement = panic;
SET session_replication_role = replica;
SET LOCAL log_min_messages = panic;
DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET log_min_messages = panic', current_database()); END $$;
RESET log_statement;
-- expect: is blocked
