#!/usr/bin/env bash
#
# scripts/bench.sh — what pg_agentguard costs, in one table. Not part of the test command (its --smoke
# mode is, through test/scripts/bench_smoke.sh).
#
#   scripts/bench.sh [--smoke]
#
# Builds the private installation as the tests do, then measures on throwaway clusters:
#   1. CPU instructions per statement (bench/callgrind.sh): point SELECT, 1-row UPDATE and a temp-table
#      DDL pair, for an untagged role and an agent, against a server without the library. Deterministic:
#      this is the number to judge.
#   2. pgbench, select-only, TPC-B-like and select-only with -M prepared, on four configurations: no
#      library (base), the library with an untagged role (guard), the library with an agent role that
#      stays inside its limits (agent), and pgaudit with pgaudit.log = 'write, ddl' for the role
#      (pgaudit). Each repetition runs base, guard, agent, pgaudit back to back; the table shows the
#      median, min and max over repetitions of each configuration's tps divided by the same
#      repetition's base tps. Only these same-run ratios mean anything on a shared machine.
#   3. The early stop (bench/dml_early_stop.sh): an agent's oversized DELETE stopped at the row limit,
#      as a share of the time the same DELETE takes to run to the end.
#   4. The audit rate (bench/audit_flood.sh): blocked statements per second from 4 sessions, all recorded.
#
# --smoke: tiny sizes (well under a minute of measuring); checks that every measurement produced a
# number and exits non-zero otherwise. It never judges speed.
# Environment: REPS (default 5), SECS (seconds per pgbench run, default 15), SCALE (default 10),
# CLIENTS (default 2), and those of test/lib/cluster.sh. Logs go to build/bench/.

set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO_ROOT="$(pwd)"

SMOKE=""
case "${1:-}" in
    --smoke) SMOKE=1 ;;
    "") ;;
    *) echo "usage: scripts/bench.sh [--smoke]" >&2; exit 2 ;;
esac

if [[ -n "$SMOKE" ]]; then
    REPS="${REPS:-1}" SECS="${SECS:-1}" SCALE="${SCALE:-1}" CLIENTS="${CLIENTS:-2}"
    CG_N1=3 CG_N2=6 ES_ROWS=20000 ES_RUNS=1 FLOOD_SECS=1 FLOOD_SESSIONS=2
else
    REPS="${REPS:-5}" SECS="${SECS:-15}" SCALE="${SCALE:-10}" CLIENTS="${CLIENTS:-2}"
    CG_N1=300 CG_N2=1300 ES_ROWS=1000000 ES_RUNS=5 FLOOD_SECS=10 FLOOD_SESSIONS=4
fi

# shellcheck source=test/lib/cluster.sh
source "$REPO_ROOT/test/lib/cluster.sh"
ag__ensure_install   # builds unless the test command did; pgaudit is one of the packages it installs
[[ -x "$AG_BINDIR/pgbench" ]] || { echo "pgbench not found in $AG_BINDIR" >&2; exit 2; }

OUT="$REPO_ROOT/build/bench"
rm -rf "$OUT"
mkdir -p "$OUT"
say() { printf '%s\n' "$*" >&2; }

# ---------------------------------------------------------------------------------------------------
# 1. callgrind

say "==> callgrind: instructions per statement ($CG_N1 and $CG_N2 statements per run)"
N1=$CG_N1 N2=$CG_N2 bash bench/callgrind.sh >"$OUT/callgrind.txt" 2>"$OUT/callgrind.err" || true
declare -A CG=() CGD=() CGT=()
while read -r kind cfg ir delta target; do
    CG[$cfg.$kind]="$ir"
    CGD[$cfg.$kind]="$delta"
    CGT[$cfg.$kind]="${target:-}"
done < <(awk '$1 ~ /^(select|update|ddl)$/ && $3 ~ /^[0-9.]+$/' "$OUT/callgrind.txt")

# ---------------------------------------------------------------------------------------------------
# 2. pgbench on three clusters: base (no library), guard (pg_agentguard), pgaudit

say "==> pgbench: scale $SCALE, $CLIENTS clients, $SECS s per run, $REPS repetitions"
BENCH_CONF=(
    "shared_buffers = 256MB" "max_wal_size = 4GB" "checkpoint_timeout = 30min" "autovacuum = off"
    "synchronous_commit = off" "log_min_messages = warning" "max_connections = 50"
)
ag_cluster_start base "${BENCH_CONF[@]}" "shared_preload_libraries = ''"
ag_cluster_start guard "${BENCH_CONF[@]}"
ag_cluster_start audit "${BENCH_CONF[@]}" "shared_preload_libraries = 'pgaudit'"

setup_cluster() { # cluster
    ag_psql "$1" -q -v ON_ERROR_STOP=1 -c "CREATE ROLE bench_human LOGIN" -c "CREATE ROLE bench_agent LOGIN"
    ag_as_postgres "$AG_BINDIR/pgbench" -h "$(ag_cluster_host "$1")" -p "$(ag_cluster_port "$1")" -U postgres \
        -i -q -s "$SCALE" postgres >"$OUT/init-$1.log" 2>&1
    ag_psql "$1" -q -v ON_ERROR_STOP=1 \
        -c "GRANT ALL ON pgbench_accounts, pgbench_branches, pgbench_tellers, pgbench_history TO bench_human, bench_agent" \
        -c "VACUUM ANALYZE" -c "CHECKPOINT"
}
for c in base guard audit; do setup_cluster "$c"; done
ag_psql guard -q -v ON_ERROR_STOP=1 -c "CREATE EXTENSION pg_agentguard" -c "GRANT agentguard_agent TO bench_agent"
ag_psql audit -q -v ON_ERROR_STOP=1 -c "CREATE EXTENSION pgaudit" \
    -c "ALTER ROLE bench_human SET pgaudit.log = 'write, ddl'"

WORKLOADS=(select tpcb prepared)
CONFIGS=(base guard agent pgaudit)
declare -A TPS=()

pgbench_tps() { # workload config rep
    local w="$1" cfg="$2" cluster user args=() log
    case "$cfg" in
        base) cluster=base user=bench_human ;;
        guard) cluster=guard user=bench_human ;;
        agent) cluster=guard user=bench_agent ;;
        pgaudit) cluster=audit user=bench_human ;;
    esac
    case "$w" in
        select) args=(-S) ;;
        tpcb) args=() ;;
        prepared) args=(-S -M prepared) ;;
    esac
    log="$OUT/pgbench-$w-$cfg-$3.log"
    ag_as_postgres "$AG_BINDIR/pgbench" -h "$(ag_cluster_host "$cluster")" -p "$(ag_cluster_port "$cluster")" \
        -U "$user" -n -c "$CLIENTS" -j "$CLIENTS" -T "$SECS" "${args[@]}" postgres >"$log" 2>&1 || true
    sed -nE 's/^tps = ([0-9.]+) .*/\1/p' "$log" | tail -n 1
}

for ((r = 1; r <= REPS; r++)); do
    for w in "${WORKLOADS[@]}"; do
        for cfg in "${CONFIGS[@]}"; do
            TPS[$w.$cfg.$r]="$(pgbench_tps "$w" "$cfg" "$r")"
        done
    done
    say "    repetition $r of $REPS done"
done
# The agent stayed inside its limits: nothing it ran was blocked.
BLOCKED="$(ag_psql guard -At -c "SELECT count(*) FROM agentguard.audit_log" 2>/dev/null || echo "")"
for c in base guard audit; do ag_cluster_stop "$c" immediate; done

# "median min max" of the per-repetition ratios of config to base (empty when a number is missing)
ratio_stats() { # workload config
    local r v b vals=()
    for ((r = 1; r <= REPS; r++)); do
        v="${TPS[$1.$2.$r]:-}" b="${TPS[$1.base.$r]:-}"
        [[ "$v" =~ ^[0-9.]+$ && "$b" =~ ^[0-9.]+$ ]] || return 0
        vals+=("$(awk -v v="$v" -v b="$b" 'BEGIN { if (b > 0) printf "%.4f", v / b }')")
    done
    printf '%s\n' "${vals[@]}" | sort -g | awk '{ a[NR] = $1 } END {
        if (NR == 0) exit
        m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
        printf "%.3f %.3f %.3f\n", m, a[1], a[NR] }'
}
median_tps() { # workload config
    local r
    for ((r = 1; r <= REPS; r++)); do echo "${TPS[$1.$2.$r]:-}"; done | grep -E '^[0-9.]+$' | sort -g |
        awk '{ a[NR] = $1 } END { if (NR) printf "%.0f\n", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# ---------------------------------------------------------------------------------------------------
# 3. early stop, 4. audit rate

say "==> early stop: DELETE on $ES_ROWS rows, $ES_RUNS runs"
RUNS=$ES_RUNS ROWS=$ES_ROWS bash bench/dml_early_stop.sh >"$OUT/early_stop.txt" 2>&1 || true
ES_RATIO="$(sed -nE 's/^ratio: ([0-9.]+)%.*/\1/p' "$OUT/early_stop.txt")"
ES_HUMAN="$(sed -nE 's/^human DELETE to completion: ([0-9.]+) ms.*/\1/p' "$OUT/early_stop.txt")"
ES_AGENT="$(sed -nE 's/^agent DELETE until stopped: ([0-9.]+) ms.*/\1/p' "$OUT/early_stop.txt")"

say "==> audit rate: $FLOOD_SESSIONS sessions, $FLOOD_SECS s"
bash bench/audit_flood.sh "$FLOOD_SECS" "$FLOOD_SESSIONS" >"$OUT/audit_flood.txt" 2>&1 && FLOOD_OK=1 || FLOOD_OK=""
AUDIT_RATE="$(sed -nE 's/^blocked statements: ([0-9]+) \(([0-9]+)\/s\).*/\2/p' "$OUT/audit_flood.txt")"
AUDIT_TOTAL="$(sed -nE 's/^blocked statements: ([0-9]+) .*/\1/p' "$OUT/audit_flood.txt")"
AUDIT_ROWS="$(sed -nE 's/^audit rows: ([0-9]+) .*/\1/p' "$OUT/audit_flood.txt")"

# ---------------------------------------------------------------------------------------------------
# The table

num() { # name value: prints the value, or "n/a(name)" when the measurement produced no number
    if [[ "${2:-}" =~ ^[-+]?[0-9.]+%?$ ]]; then printf '%s' "$2"; else printf 'n/a(%s)' "$1"; fi
}

{
    echo
    echo "pg_agentguard benchmark — PostgreSQL $("$AG_BINDIR/pg_config" --version | awk '{ print $2 }'), $(nproc) cores$([[ -n "$SMOKE" ]] && echo ', SMOKE MODE (sizes too small to mean anything)')"
    echo
    echo "CPU instructions per statement (callgrind; target: untagged <= +0.1%, agent <= +0.5%, DDL pair <= +1%)"
    printf '%-22s %14s %24s %24s\n' workload "no library" "untagged role" "agent"
    for kind in select update ddl; do
        case "$kind" in select) label="point SELECT" ;; update) label="1-row UPDATE" ;; ddl) label="temp-table DDL pair" ;; esac
        printf '%-22s %14s %24s %24s\n' "$label" "$(num "callgrind $kind none" "${CG[none.$kind]:-}")" \
            "$(num "callgrind $kind human" "${CG[human.$kind]:-}") ($(num "callgrind $kind human delta" "${CGD[human.$kind]:-}"))" \
            "$(num "callgrind $kind agent" "${CG[agent.$kind]:-}") ($(num "callgrind $kind agent delta" "${CGD[agent.$kind]:-}"))"
    done
    echo
    echo "pgbench tps relative to base, same repetition: median [min, max] over $REPS repetitions ($CLIENTS clients, ${SECS} s, scale $SCALE)"
    printf '%-22s %12s %22s %22s %22s\n' workload "base tps" guard agent pgaudit
    for w in "${WORKLOADS[@]}"; do
        case "$w" in select) label="select-only" ;; tpcb) label="TPC-B-like" ;; prepared) label="select-only -M prepared" ;; esac
        line="$(printf '%-22s %12s' "$label" "$(num "pgbench $w base" "$(median_tps "$w" base)")")"
        for cfg in guard agent pgaudit; do
            read -r m lo hi < <(ratio_stats "$w" "$cfg"; echo)
            line+="$(printf ' %22s' "$(num "pgbench $w $cfg" "${m:-}") [$(num "pgbench $w $cfg min" "${lo:-}"), $(num "pgbench $w $cfg max" "${hi:-}")]")"
        done
        echo "$line"
    done
    echo "statements of the agent blocked or recorded during pgbench: $(num "pgbench agent audit rows" "$BLOCKED") (expected 0)"
    echo
    echo "early stop: agent's DELETE stopped at the limit in $(num "early stop ratio" "$ES_RATIO")% of a human's run to the end ($(num "early stop agent ms" "$ES_AGENT") ms vs $(num "early stop human ms" "$ES_HUMAN") ms, $ES_ROWS rows; target <= 2%)"
    echo "audit rate: $(num "audit rate" "$AUDIT_RATE") blocked statements/s from $FLOOD_SESSIONS sessions, $(num "audit total" "$AUDIT_TOTAL") blocked, $(num "audit rows" "$AUDIT_ROWS") recorded ($([[ -n "$FLOOD_OK" ]] && echo "lost 0" || echo "LOST SOME"))"
} | tee "$OUT/table.txt"

status=0
if grep -q 'n/a(' "$OUT/table.txt"; then
    echo
    echo "measurements without a number: $(grep -o 'n/a([^)]*)' "$OUT/table.txt" | sed 's/^n\/a(//; s/)$//' | paste -sd, -) (logs in build/bench/)"
    status=1
fi
[[ "$BLOCKED" == 0 ]] || { echo "the agent's pgbench run was intercepted ($BLOCKED audit rows)"; status=1; }
[[ -n "$FLOOD_OK" ]] || { echo "the audit flood lost events or failed (build/bench/audit_flood.txt)"; status=1; }
exit $status
