-- agentguard.status(): one row for monitoring (SPEC §6).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_agentguard;
RESET client_min_messages;
SELECT library_loaded, library_version, extension_version, mode,
       launcher_pid IS NOT NULL AS launcher_running, writers >= 0 AS writers_known,
       queue_pending >= 0 AS queue_known, queue_overflowed, write_failures >= 0 AS failures_known
  FROM agentguard.status();
-- Monitoring roles may call it; ordinary roles may not.
CREATE ROLE status_monitor LOGIN IN ROLE pg_monitor;
CREATE ROLE status_nobody LOGIN;
SET ROLE status_monitor;
SELECT library_loaded FROM agentguard.status();
RESET ROLE;
SET ROLE status_nobody;
SELECT library_loaded FROM agentguard.status();
RESET ROLE;
DROP ROLE status_monitor;
DROP ROLE status_nobody;
