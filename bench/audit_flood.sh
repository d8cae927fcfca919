#!/usr/bin/env bash
#
# bench/audit_flood.sh — 4 agent sessions fire blocked statements (DROP TABLE) for 10 seconds against
# a throwaway cluster; reports blocked statements per second and how many audit rows arrived.
# Target: >= 2000 blocked statements/s with every one of them in agentguard.audit_log.
#
# Usage: bench/audit_flood.sh [SECONDS=10] [SESSIONS=4]
# Each session is a DO loop that catches the guard's error (SQLSTATE ZG001), so the client round trip
# does not dominate; every iteration is one intercepted statement, one event, one audit row.

set -euo pipefail
SECS="${1:-10}"
SESSIONS="${2:-4}"
# shellcheck source=test/lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/../test/lib/cluster.sh"

ag_cluster_start bench "log_min_messages = warning" "log_min_error_statement = panic"
ag_psql bench -q <<'SQL'
CREATE EXTENSION pg_agentguard;
CREATE ROLE ai_bench LOGIN;
GRANT agentguard_agent TO ai_bench;
CREATE TABLE public.victim (x int);
ALTER TABLE public.victim OWNER TO ai_bench;
SQL

loop="DO \$\$
DECLARE n bigint := 0; t_end timestamptz := clock_timestamp() + interval '$SECS seconds';
BEGIN
    WHILE clock_timestamp() < t_end LOOP
        BEGIN
            DROP TABLE public.victim;
        EXCEPTION WHEN SQLSTATE 'ZG001' THEN n := n + 1;
        END;
    END LOOP;
    RAISE NOTICE 'blocked=%', n;
END \$\$;"

t0=$(date +%s%N)
pids=()
for ((s = 1; s <= SESSIONS; s++)); do
    ag_psql bench -U ai_bench -c "$loop" >"$AG_RUN_DIR/s$s.out" 2>&1 &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
t1=$(date +%s%N)

total=0
for ((s = 1; s <= SESSIONS; s++)); do
    n="$(sed -n 's/.*blocked=\([0-9]*\).*/\1/p' "$AG_RUN_DIR/s$s.out")"
    [[ -n "$n" ]] || { cat "$AG_RUN_DIR/s$s.out"; ag_fail "session $s reported nothing"; }
    total=$((total + n))
done

rows=0
for ((i = 0; i < 300; i++)); do
    rows="$(ag_psql bench -Atc 'SELECT count(*) FROM agentguard.audit_log')"
    [[ "$rows" -ge "$total" ]] && break
    sleep 0.1
done
t2=$(date +%s%N)

run_ms=$(( (t1 - t0) / 1000000 ))
lag_ms=$(( (t2 - t1) / 1000000 ))
printf 'sessions: %d, duration: %d ms\n' "$SESSIONS" "$run_ms"
printf 'blocked statements: %d (%d/s)\n' "$total" $(( total * 1000 / run_ms ))
printf 'audit rows: %d (all arrived %d ms after the last statement)\n' "$rows" "$lag_ms"
ag_psql bench -c 'SELECT * FROM agentguard.queue_stats()'
if [[ "$rows" != "$total" ]]; then
    ag_fail "audit rows ($rows) != blocked statements ($total)"
fi
