#!/usr/bin/env bash
#
# bench/callgrind.sh: CPU instructions per statement that pg_agentguard adds, counted by
# valgrind --tool=callgrind (deterministic, unlike timings).
#
# A single backend runs in single-user mode (postgres --single) over a file of identical-shape
# statements, each configuration on a fresh copy of the same data directory:
#   none    no library loaded
#   human   library loaded, an untagged role
#   agent   library loaded, a member of agentguard_agent
# for three workloads: a point SELECT by primary key, a single-row UPDATE and a temporary-table DDL pair
# (CREATE TEMP TABLE + DROP TABLE). Each is run with N1 and N2 statements (pairs); (Ir(N2) - Ir(N1)) /
# (N2 - N1) is the cost of one without start-up and shutdown.
# Targets: human at most +0.1% over none; agent at most +0.5% (SELECT, UPDATE) and +1% (DDL pair).
#
# Usage: bench/callgrind.sh      Environment: N1 (default 300), N2 (default 1300), KINDS (default
# "select update ddl"), and those of test/lib/cluster.sh. Prints a table; exits 1 when a target is missed.

set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../test/lib/cluster.sh"

N1="${N1:-300}"
N2="${N2:-1300}"
read -r -a KIND_LIST <<<"${KINDS:-select update ddl}"
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 2; }
ag__ensure_install
ag__ensure_run_dir
DIR="$AG_RUN_DIR/bench_callgrind"
mkdir -p "$DIR" && chmod 755 "$DIR"
ag__is_root && chown postgres: "$DIR"

ag_as_postgres "$AG_BINDIR/initdb" -D "$DIR/template" -U postgres -A trust --no-sync >/dev/null
cat >>"$DIR/template/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$DIR'
fsync = off
autovacuum = off
CONF

single() {   # single PRELOAD DATADIR < statements
    ag_as_postgres "$AG_BINDIR/postgres" --single -D "$2" -c shared_preload_libraries="$1" \
        -c log_min_messages=error postgres
}

single pg_agentguard "$DIR/template" >/dev/null 2>&1 <<'SQL'
CREATE EXTENSION pg_agentguard;
CREATE ROLE bench_agent;
GRANT agentguard_agent TO bench_agent;
CREATE ROLE bench_human;
CREATE TABLE bench_t (id int PRIMARY KEY, v int NOT NULL);
INSERT INTO bench_t SELECT g, 0 FROM generate_series(1, 100000) g;
GRANT ALL ON bench_t TO bench_agent, bench_human;
VACUUM ANALYZE bench_t;
CHECKPOINT;
SQL

workload() {   # workload KIND ROLE N
    echo "SET SESSION AUTHORIZATION $2;"
    for ((i = 0; i < $3; i++)); do
        case "$1" in
            select) echo "SELECT v FROM bench_t WHERE id = $((i % 1000 + 1));" ;;
            update) echo "UPDATE bench_t SET v = v + 1 WHERE id = $((i % 1000 + 1));" ;;
            ddl) echo "CREATE TEMP TABLE bench_tmp (x int);"
                echo "DROP TABLE bench_tmp;" ;;
        esac
    done
}

ir() {   # ir CONFIG KIND N: total instructions of one run
    local preload="pg_agentguard" role out data
    case "$1" in
        none) preload="" role=bench_human ;;
        human) role=bench_human ;;
        agent) role=bench_agent ;;
    esac
    data="$DIR/run"
    rm -rf "$data"
    cp -a "$DIR/template" "$data"
    out="$DIR/callgrind.$1.$2.$3"
    workload "$2" "$role" "$3" >"$DIR/stmts.sql"
    ag_as_postgres valgrind --tool=callgrind --callgrind-out-file="$out" -q \
        "$AG_BINDIR/postgres" --single -D "$data" -c shared_preload_libraries="$preload" \
        -c log_min_messages=error postgres <"$DIR/stmts.sql" >"$DIR/out.$1.$2.$3" 2>&1
    if grep -q 'ERROR' "$DIR/out.$1.$2.$3"; then
        echo "statements failed in $1/$2:" >&2
        grep -m3 ERROR "$DIR/out.$1.$2.$3" >&2
        exit 1
    fi
    awk '/^(summary|totals):/ { print $2; exit }' "$out"
}

declare -A PER
for kind in "${KIND_LIST[@]}"; do
    for cfg in none human agent; do
        a="$(ir "$cfg" "$kind" "$N1")"
        b="$(ir "$cfg" "$kind" "$N2")"
        PER[$cfg.$kind]="$(awk -v a="$a" -v b="$b" -v n=$((N2 - N1)) 'BEGIN { printf "%.1f", (b - a) / n }')"
    done
done

status=0
printf '%-8s %-7s %14s %10s %8s\n' workload config Ir/statement delta target
for kind in "${KIND_LIST[@]}"; do
    base="${PER[none.$kind]}"
    for cfg in none human agent; do
        v="${PER[$cfg.$kind]}"
        target=""
        case "$cfg.$kind" in human.*) target=0.1 ;; agent.ddl) target=1 ;; agent.*) target=0.5 ;; esac
        line="$(awk -v v="$v" -v b="$base" -v t="$target" -v k="$kind" -v c="$cfg" 'BEGIN {
            d = 100 * (v - b) / b
            printf "%-8s %-7s %14.1f %+9.3f%% %8s", k, c, v, d, (t == "" ? "" : "<=" t "%")
            exit (t != "" && d > t) }')" || status=1
        echo "$line"
    done
done
exit $status
