#!/usr/bin/env bash
#
# bench/dml_early_stop.sh: how early the blast-radius guard stops an oversized DELETE.
#
# On a 1,000,000-row table, with agentguard.max_rows = 1000, an agent's
#     DELETE FROM bench_t WHERE id % 2 = 0
# is stopped at its 1001st row. This measures the time until the agent gets its error and the time the
# same DELETE takes a human to run to completion (rolled back), each the median of RUNS runs, and
# prints the ratio. Target: at most 2%.
#
# Usage: bench/dml_early_stop.sh            (builds the private installation as the tests do)
# Environment: RUNS (default 5), ROWS (default 1000000), AG_BENCH_PORT (default: a free port), and those
# of test/lib/cluster.sh.

set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../test/lib/cluster.sh"

RUNS="${RUNS:-5}"
ROWS="${ROWS:-1000000}"
ag__ensure_install
ag__ensure_run_dir
DIR="$AG_RUN_DIR/bench_early_stop"
mkdir -p "$DIR" && chmod 755 "$DIR"
ag__is_root && chown postgres: "$DIR"
PORT="${AG_BENCH_PORT:-$(ag__free_port)}"
ag_as_postgres "$AG_BINDIR/initdb" -D "$DIR/data" -U postgres -A trust --no-sync >/dev/null
cat >>"$DIR/data/postgresql.conf" <<CONF
listen_addresses = ''
port = $PORT
unix_socket_directories = '$DIR'
shared_preload_libraries = 'pg_agentguard'
fsync = off
shared_buffers = 256MB
max_wal_size = 4GB
agentguard.max_rows = 1000
CONF
ag_on_exit "ag_as_postgres '$AG_BINDIR/pg_ctl' -D '$DIR/data' -m immediate stop >/dev/null 2>&1 || true"
ag_as_postgres "$AG_BINDIR/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w start >/dev/null

psql_as() {
    local user="$1"
    shift
    ag_as_postgres "$AG_BINDIR/psql" -X -q -h "$DIR" -p "$PORT" -U "$user" -d postgres "$@"
}

psql_as postgres -v ON_ERROR_STOP=1 -v rows="$ROWS" <<'SQL'
CREATE EXTENSION pg_agentguard;
CREATE ROLE bench_agent LOGIN;
GRANT agentguard_agent TO bench_agent;
CREATE ROLE bench_human LOGIN;
CREATE TABLE bench_t (id int PRIMARY KEY, payload text);
INSERT INTO bench_t SELECT g, md5(g::text) FROM generate_series(1, :rows) g;
VACUUM ANALYZE bench_t;
GRANT ALL ON bench_t TO bench_agent, bench_human;
SQL

# Milliseconds of one statement, from psql's \timing (the error of the agent's run is expected).
time_ms() {
    local user="$1" sql="$2"
    { psql_as "$user" -c '\timing on' -c "$sql" 2>&1 || true; } | awk '/^Time: / { print $2 }' | tail -1
}

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

STMT="DELETE FROM bench_t WHERE id % 2 = 0"
time_ms bench_human "BEGIN; $STMT; ROLLBACK;" >/dev/null   # warm the cache
human=() agent=()
for ((i = 0; i < RUNS; i++)); do
    human+=("$(time_ms bench_human "BEGIN; $STMT; ROLLBACK;" | head -1)")
    agent+=("$(time_ms bench_agent "$STMT")")
done
# the human's BEGIN; ...; ROLLBACK prints three times; the DELETE is the longest of them
human_ms="$(for i in "${human[@]}"; do echo "$i"; done | median)"
agent_ms="$(for i in "${agent[@]}"; do echo "$i"; done | median)"

err="$(psql_as bench_agent -c "$STMT" 2>&1 || true)"
left="$(psql_as postgres -At -c 'SELECT count(*) FROM bench_t')"
echo "agent's error: $(grep -m1 ERROR <<<"$err")"
echo "rows in bench_t afterwards: $left (expected $ROWS)"
awk -v h="$human_ms" -v a="$agent_ms" 'BEGIN {
    printf "human DELETE to completion: %.1f ms (median of runs)\n", h
    printf "agent DELETE until stopped: %.1f ms (median of runs)\n", a
    printf "ratio: %.2f%% (target <= 2%%)\n", 100 * a / h
    exit !(a <= 0.02 * h)
}'
