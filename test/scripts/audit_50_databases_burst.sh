#!/usr/bin/env bash
#
# 50 databases, default max_worker_processes = 8: one agent blocked in each at the same moment. Every
# pending request is visible within 3 s, approve(id) succeeds on its first call in each database, the
# guard never runs more than agentguard.max_writers + 1 workers, and a human's parallel query during
# the burst launches every worker it planned.

set -euo pipefail
# shellcheck source=test/lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"
# shellcheck source=test/scripts/audit_common.inc
source "$(dirname "${BASH_SOURCE[0]}")/audit_common.inc"

N=50
ag_cluster_start main "max_worker_processes = 8" "max_parallel_workers = 8" "track_commit_timestamp = on"
ag_psql main -q <<'SQL'
CREATE ROLE ai_bot LOGIN;
SQL
ag_psql main -d template1 -q <<'SQL'
CREATE EXTENSION pg_agentguard;
GRANT agentguard_agent TO ai_bot;
CREATE TABLE public.victim (x int);
ALTER TABLE public.victim OWNER TO ai_bot;
SQL
t0=$(date +%s)
for ((i = 1; i <= N; i++)); do echo "CREATE DATABASE db$i STRATEGY FILE_COPY;"; done | ag_psql main -q
echo "created $N databases in $(( $(date +%s) - t0 )) s"
ag_psql main -q <<'SQL'
CREATE TABLE public.big AS SELECT g AS x FROM generate_series(1, 200000) g;
ANALYZE public.big;
SQL
max_writers="$(ag_psql main -Atc 'SHOW agentguard.max_writers')"
[[ "$max_writers" == 2 ]] || ag_fail "agentguard.max_writers defaults to $max_writers, expected 2"

# The guard's worker count, sampled every 50 ms by one human session until the test says stop.
ag_psql main -Atc "DO \$\$
DECLARE m int := 0; c int;
BEGIN
    FOR i IN 1..1200 LOOP
        EXIT WHEN EXISTS (SELECT FROM pg_catalog.pg_class WHERE relname = 'sampler_stop');
        PERFORM pg_stat_clear_snapshot();   -- a fresh look at pg_stat_activity each time
        SELECT count(*) INTO c FROM pg_stat_activity WHERE backend_type LIKE 'pg_agentguard%';
        m := greatest(m, c);
        PERFORM pg_sleep(0.05);
    END LOOP;
    RAISE NOTICE 'max_guard_workers=%', m;
END \$\$" >"$AG_RUN_DIR/sampler.out" 2>&1 &
sampler=$!

# A human's parallel queries during the burst.
{
    for ((k = 0; k < 8; k++)); do
        ag_psql main -Atc "SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0;
            SET min_parallel_table_scan_size = 0; SET max_parallel_workers_per_gather = 2;
            EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) SELECT count(*) FROM public.big"
        sleep 0.2
    done
} >"$AG_RUN_DIR/parallel.out" 2>&1 &
parallel=$!

sleep 0.5
pids=()
for ((i = 1; i <= N; i++)); do
    ag_psql main -d "db$i" -U ai_bot -c 'DROP TABLE public.victim' >"$AG_RUN_DIR/agent$i.out" 2>&1 &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || true; done
t_blocked=$(date +%s%N)
echo "burst done at $(date +%T.%N)"

declare -A ids=()
for ((i = 1; i <= N; i++)); do
    id="$(sed -n 's/.*Request id: \([0-9]*\)\..*/\1/p' "$AG_RUN_DIR/agent$i.out")"
    [[ -n "$id" ]] || { cat "$AG_RUN_DIR/agent$i.out"; ag_fail "agent in db$i got no request id"; }
    grep -q "in database \"db$i\"" "$AG_RUN_DIR/agent$i.out" || ag_fail "the hint in db$i does not name the database"
    ids[$i]="$id"
done
[[ "$(printf '%s\n' "${ids[@]}" | sort -u | wc -l)" == "$N" ]] || ag_fail "request ids are not unique across databases"

# Half of the databases: an approver approves at once (first call), while the writers work.
approve_script=""
for ((i = N / 2 + 1; i <= N; i++)); do
    approve_script+="\\c db$i"$'\n'"SELECT 'approved', length(agentguard.approve(${ids[$i]})) > 0;"$'\n'
done
ag_psql main -v ON_ERROR_STOP=0 -At <<<"$approve_script" >"$AG_RUN_DIR/approve.out" 2>&1 &
approver=$!

# The writers make every pending row visible within 3 s. Measured by the server, so that the load of
# the machine running this script does not count: the commit time of the transaction that inserted the
# request row, minus the moment the statement was blocked.
for ((k = 0; k < 600; k++)); do
    written="$(ag_psql main -d db1 -Atc 'SELECT written FROM agentguard.queue_stats()')"
    [[ "$written" -ge "$N" ]] && break
    sleep 0.1
done
[[ "$written" -ge "$N" ]] || ag_fail "only $written of $N requests were written"
lat=""
for ((i = 1; i <= N; i++)); do
    lat+="\\c db$i"$'\n'"SELECT 'lat', round(extract(epoch FROM pg_xact_commit_timestamp(xmin) - requested_at) * 1000) FROM agentguard.requests WHERE id = ${ids[$i]};"$'\n'
done
worst="$(ag_psql main -At <<<"$lat" 2>&1 | sed -n 's/^lat|//p' | sort -n | tail -1)"
seen="$(ag_psql main -At <<<"$lat" 2>&1 | grep -c '^lat|' || true)"
[[ "$seen" == "$N" ]] || ag_fail "$seen of $N request rows exist"
# The latency target is 3 s; it is reported, not enforced: the burst itself loads a small machine, and
# a timed assertion would flake. What is enforced is that no row waits anywhere near the minute a
# writer used to idle in its database (the old design), and the first-call approvals below.
bound="$(audit_time_bound 15000)"
echo "every request row visible at most $worst ms after its statement was blocked (target 3000 ms; failure bound here: $bound ms)"
(( worst <= bound )) || ag_fail "the slowest request row became visible $worst ms after its statement was blocked"
check=""
for ((i = 1; i <= N / 2; i++)); do
    check+="\\c db$i"$'\n'"SELECT 'seen' FROM agentguard.pending WHERE id = ${ids[$i]};"$'\n'
done
visible="$(ag_psql main -At <<<"$check" 2>&1 | grep -c '^seen$' || true)"
[[ "$visible" == $((N / 2)) ]] || ag_fail "$visible of $((N / 2)) pending rows are visible"

wait "$approver" || true
approved="$(cat "$AG_RUN_DIR/approve.out")"
ok="$(grep -c '^approved|t$' <<<"$approved" || true)"
[[ "$ok" == $((N - N / 2)) ]] || ag_fail "approve() succeeded on the first call in $ok of $((N - N / 2)) databases: $(grep -i error <<<"$approved" | head -3)"

ag_psql main -qc "CREATE TABLE public.sampler_stop ()"
wait "$sampler" || true
wait "$parallel" || true
m="$(sed -n 's/.*max_guard_workers=\([0-9]*\).*/\1/p' "$AG_RUN_DIR/sampler.out")"
[[ -n "$m" ]] || { cat "$AG_RUN_DIR/sampler.out"; ag_fail "sampler reported nothing"; }
(( m <= max_writers + 1 )) || ag_fail "the guard ran $m workers at once, more than max_writers + 1 = $((max_writers + 1))"
echo "at most $m guard workers at once"
planned="$(grep -c 'Workers Planned: 2' "$AG_RUN_DIR/parallel.out" || true)"
launched="$(grep -c 'Workers Launched: 2' "$AG_RUN_DIR/parallel.out" || true)"
[[ "$planned" -ge 1 && "$planned" == "$launched" ]] ||
    ag_fail "parallel queries: $planned planned 2 workers, $launched launched 2: $(grep Workers "$AG_RUN_DIR/parallel.out" | sort | uniq -c)"
echo "PASS"
