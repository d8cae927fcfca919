#!/usr/bin/env bash
#
# A database without CREATE EXTENSION: the agent's DROP is still blocked, the server log is the record
# (one line per event), nothing crashes, no writer is started for it, and the event is counted as
# discarded; a database with the extension keeps getting its rows.

set -euo pipefail
# shellcheck source=test/lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"
# shellcheck source=test/scripts/audit_common.inc
source "$(dirname "${BASH_SOURCE[0]}")/audit_common.inc"

ag_cluster_start main
audit_setup main
log="$(ag_cluster_log main)"
postmaster="$(ag_cluster_pid main)"
ag_psql main -q -c 'CREATE DATABASE noext'
ag_psql main -q -d noext -c 'CREATE TABLE public.keepme (x int); INSERT INTO public.keepme VALUES (1), (2);
                              ALTER TABLE public.keepme OWNER TO ai_bot'

out="$(ag_psql main -U ai_bot -d noext -v ON_ERROR_STOP=0 -c 'DROP TABLE public.keepme' 2>&1)" || true
grep -q 'is blocked' <<<"$out" || ag_fail "DROP in a database without the extension was not blocked: $out"
ag_wait_for_log main 'pg_agentguard: .*decision=blocked.*keepme' 5 ||
    ag_fail "no server-log record of the blocked DROP"
[[ "$(ag_psql main -d noext -Atc 'SELECT count(*) FROM public.keepme')" == 2 ]] || ag_fail "public.keepme changed"

sleep 1
[[ "$(ag_psql main -Atc "SELECT count(*) FROM pg_stat_activity a JOIN pg_database d ON d.oid = a.datid
                         WHERE a.backend_type = 'pg_agentguard audit writer' AND d.datname = 'noext'")" == 0 ]] ||
    ag_fail "a writer was started for the database without the extension"
[[ "$(ag_psql main -Atc 'SELECT discarded >= 1 AND overflowed = 0 AND pending = 0 FROM agentguard.queue_stats()')" == t ]] ||
    ag_fail "queue counters: $(ag_psql main -Atc 'SELECT * FROM agentguard.queue_stats()')"

# The database with the extension still gets its rows; nothing restarted.
audit_block main 2 with_ext
audit_wait_rows main with_ext 2
[[ "$(ag_cluster_pid main)" == "$postmaster" ]] || ag_fail "the postmaster changed"
grep -q 'terminated by signal\|reinitializing' "$log" && ag_fail "a backend crashed"
echo "PASS"
