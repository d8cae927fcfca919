#!/usr/bin/env bash
#
# 500 blocked statements from 4 concurrent agent sessions leave exactly 500 audit rows: none lost,
# none duplicated.

set -euo pipefail
# shellcheck source=test/lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"

ag_cluster_start main
ag_psql main -q <<'SQL'
CREATE EXTENSION pg_agentguard;
CREATE ROLE ai_bot LOGIN;
GRANT agentguard_agent TO ai_bot;
CREATE TABLE public.victim (x int);
ALTER TABLE public.victim OWNER TO ai_bot;
SQL

script="$AG_RUN_DIR/drops.sql"
for ((i = 0; i < 125; i++)); do echo "DROP TABLE public.victim;"; done >"$script"
chmod a+r "$script"
pids=()
for s in 1 2 3 4; do
    ag_psql main -U ai_bot -v ON_ERROR_STOP=0 -q -f "$script" >"$AG_RUN_DIR/session$s.out" 2>&1 &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || true; done
blocked="$(cat "$AG_RUN_DIR"/session*.out | grep -c 'ERROR:.*is blocked' || true)"
[[ "$blocked" == 500 ]] || ag_fail "expected 500 blocked statements, saw $blocked"

rows=0
for ((i = 0; i < 100; i++)); do
    rows="$(ag_psql main -Atc "SELECT count(*) FROM agentguard.audit_log WHERE command = 'DROP TABLE'")"
    [[ "$rows" -ge 500 ]] && break
    sleep 0.1
done
sleep 1  # a late duplicate would show up now
rows="$(ag_psql main -Atc "SELECT count(*) FROM agentguard.audit_log WHERE command = 'DROP TABLE'")"
[[ "$rows" == 500 ]] || ag_fail "expected exactly 500 audit rows, found $rows"
sessions="$(ag_psql main -Atc 'SELECT count(DISTINCT backend_pid) FROM agentguard.audit_log')"
[[ "$sessions" == 4 ]] || ag_fail "expected rows from 4 sessions, found $sessions"
dups="$(ag_psql main -Atc 'SELECT count(*) - count(DISTINCT request_id) FROM agentguard.audit_log WHERE request_id IS NOT NULL')"
[[ "$dups" == 0 ]] || ag_fail "$dups duplicated request ids"
stats="$(ag_psql main -Atc 'SELECT overflowed, write_failures, pending FROM agentguard.queue_stats()')"
[[ "$stats" == "0|0|0" ]] || ag_fail "queue counters overflowed|write_failures|pending = $stats"
[[ "$(ag_psql main -Atc "SELECT count(*) FROM pg_class WHERE oid = 'public.victim'::regclass")" == 1 ]] ||
    ag_fail "public.victim is gone"
echo "PASS"
