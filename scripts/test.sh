#!/usr/bin/env bash
#
# The test command of pg_agentguard. Installs what is missing, builds, and runs every suite against
# throwaway clusters of a private installation:
#
#   unit       GoogleTest through CMake and ctest (test/unit)
#   regress    `make installcheck` (PGXS) with the pg_regress tests sql/*.sql against expected/*.out,
#              in name order, in one database of a throwaway cluster
#   pgtap      pg_prove on test/pgtap/*.sql
#   isolation  `make installcheck` with the isolation specs test/isolation/specs/*.spec
#   scripts    each test/scripts/*.sh (each starts its own clusters)
#   symbols    scripts/check-symbols.sh: the module built against the 15, 17 and 18 server headers
#              references only symbols those servers export (no C++-mangled PostgreSQL names)
#
# Usage: scripts/test.sh [--only SUITE[,SUITE...]]...
# Ends with a summary per suite and the line "N passed, M failed"; exits non-zero if anything failed.
# Logs of every suite stay in build/test-logs/. AG_KEEP=1 keeps the clusters' run directory.

set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2
REPO_ROOT="$(pwd)"

ALL_SUITES=(unit symbols regress pgtap isolation scripts)

usage() {
    awk 'NR > 2 && /^#/ { sub(/^# ?/, ""); print; next } NR > 2 { exit }' "${BASH_SOURCE[0]}"
}

SELECTED=()
while (($#)); do
    case "$1" in
        --only)
            [[ $# -ge 2 ]] || { usage >&2; exit 2; }
            IFS=, read -r -a parts <<<"$2"
            SELECTED+=("${parts[@]}")
            shift 2
            ;;
        --only=*)
            IFS=, read -r -a parts <<<"${1#--only=}"
            SELECTED+=("${parts[@]}")
            shift
            ;;
        -h | --help)
            usage
            exit 0
            ;;
        *)
            echo "unknown argument: $1" >&2
            usage >&2
            exit 2
            ;;
    esac
done
for s in "${SELECTED[@]}"; do
    case " ${ALL_SUITES[*]} " in
        *" $s "*) ;;
        *) echo "unknown suite '$s' (one of: ${ALL_SUITES[*]})" >&2; exit 2 ;;
    esac
done
((${#SELECTED[@]})) || SELECTED=("${ALL_SUITES[@]}")

# The test build treats compiler warnings as errors (a DBA's plain `make` does not).
export AG_CXXFLAGS="${AG_CXXFLAGS--Werror}"

# This script prints the server logs itself where they help.
AG_LOG_TAIL_ON_FAILURE=0
# shellcheck source=test/lib/cluster.sh
source "$REPO_ROOT/test/lib/cluster.sh"

LOG_DIR="$REPO_ROOT/build/test-logs"
rm -rf "$LOG_DIR"
mkdir -p "$LOG_DIR"

# Safety nets against a hung test (seconds); well above what a healthy run needs.
SUITE_TIMEOUT="${AG_SUITE_TIMEOUT:-1200}"
FILE_TIMEOUT="${AG_FILE_TIMEOUT:-600}"
SCRIPT_TIMEOUT="${AG_SCRIPT_TIMEOUT:-900}"

declare -A PASS=() FAIL=() NOTE=() SECS=()
TOTAL_PASS=0
TOTAL_FAIL=0

banner() { printf '\n==> %s\n' "$*"; }

# run_limited SECONDS OUTPUT-FILE COMMAND...
# Runs COMMAND under timeout with its output in OUTPUT-FILE. It runs in the background and this shell
# waits for it, so that Ctrl-C reaches this shell at once (timeout puts the command in a process group
# of its own, which the terminal's Ctrl-C does not reach); the exit hook then stops the command.
CHILD=""
run_limited() {
    local secs="$1" out="$2" rc
    shift 2
    timeout -k 15 "$secs" "$@" </dev/null >"$out" 2>&1 &
    CHILD=$!
    wait "$CHILD"
    rc=$?
    CHILD=""
    return "$rc"
}
stop_child() {
    [[ -n "$CHILD" ]] || return 0
    # timeout passes the signal on to the command's whole process group; test scripts then stop
    # their clusters in their own traps.
    kill -TERM "$CHILD" 2>/dev/null
    wait "$CHILD" 2>/dev/null
}
ag_on_exit stop_child

record() { # suite passed failed [note]
    PASS[$1]=$2
    FAIL[$1]=$3
    NOTE[$1]="${4:-}"
    TOTAL_PASS=$((TOTAL_PASS + $2))
    TOTAL_FAIL=$((TOTAL_FAIL + $3))
}

show_head() { # file [title]
    [[ -s "$1" ]] || return 0
    printf -- '----- %s (first 200 lines) -----\n' "${2:-$1}"
    head -n 200 "$1"
    printf -- '----- end of %s -----\n' "${2:-$1}"
}

show_server_log() { # cluster
    local log
    log="$(ag_cluster_log "$1")" || return 0
    [[ -s "$log" ]] || return 0
    printf -- '----- last 40 lines of the server log (%s) -----\n' "$1"
    tail -n 40 "$log"
    printf -- '----- end of server log -----\n'
}

# Same settings pg_regress gives a database it creates itself (it does not under --use-existing).
create_test_db() { # cluster dbname
    ag_psql "$1" -q -d postgres \
        -c "SET client_min_messages = warning" \
        -c "DROP DATABASE IF EXISTS \"$2\"" \
        -c "CREATE DATABASE \"$2\" TEMPLATE = template0" \
        -c "ALTER DATABASE \"$2\" SET lc_messages TO 'C'" \
        -c "ALTER DATABASE \"$2\" SET lc_monetary TO 'C'" \
        -c "ALTER DATABASE \"$2\" SET lc_numeric TO 'C'" \
        -c "ALTER DATABASE \"$2\" SET lc_time TO 'C'" \
        -c "ALTER DATABASE \"$2\" SET bytea_output TO 'hex'" \
        -c "ALTER DATABASE \"$2\" SET timezone_abbreviations TO 'Default'"
}

# Counts per-test results in pg_regress / pg_isolation_regress output (the PG 15 format
# "test name ... ok" and the TAP-like format of later versions); prints "passed failed".
count_pg_regress() { # output-file
    awk '
        /^(test +| +)?[^ ]+ +\.\.\. +ok/                         { p++; next }
        /^(test +| +)?[^ ]+ +\.\.\. +(FAILED|failed)/            { f++; next }
        /^ok +[0-9]+ +[-+] /                                      { p++; next }
        /^not ok +[0-9]+ +[-+] /                                  { f++; next }
        END { printf "%d %d\n", p, f }' "$1"
}

# ---------------------------------------------------------------------------------------------------

suite_unit() {
    if [[ ! -f CMakeLists.txt ]]; then
        record unit 0 0 "skipped: no CMakeLists.txt yet"
        return
    fi
    local log="$LOG_DIR/unit.log" out p f t
    # A build directory configured for another checkout cannot be reused.
    if [[ -f build/cmake/CMakeCache.txt ]] &&
        ! grep -qxF "CMAKE_HOME_DIRECTORY:INTERNAL=$REPO_ROOT" build/cmake/CMakeCache.txt; then
        rm -rf build/cmake
    fi
    if ! { cmake -S . -B build/cmake &&
        cmake --build build/cmake -j"${AG_JOBS:-2}"; } >"$log" 2>&1; then
        echo "unit: the CMake build failed"
        tail -n 200 "$log"
        record unit 0 1 "build failed"
        return
    fi
    out="$LOG_DIR/ctest.log"
    run_limited "$SUITE_TIMEOUT" "$out" ctest --test-dir build/cmake --output-on-failure \
        -j"${AG_JOBS:-2}" --timeout 300
    local rc=$?
    if grep -q 'No tests were found' "$out"; then
        record unit 0 0 "no tests yet"
        return
    fi
    read -r p f t < <(sed -nE 's/.*tests passed, ([0-9]+) tests? failed out of ([0-9]+).*/\1 \2/p' "$out" |
        tail -n 1 | awk '{ print $2 - $1, $1, $2 }')
    if [[ -z "${t:-}" ]]; then
        p=0 f=1
    fi
    ((rc != 0 && f == 0)) && f=1
    grep -E 'tests passed|Test +#' "$out" | grep -v ' Passed ' || true
    echo "unit: $p passed, $f failed"
    if ((f > 0)); then
        # Only the failing part: skip the lines of tests that passed.
        grep -vE 'Test +#[0-9]+: .* Passed' "$out" >"$out.failed"
        show_head "$out.failed" "ctest output"
    fi
    record unit "$p" "$f"
}

suite_symbols() {
    local out="$LOG_DIR/symbols.log" p fl
    run_limited "$SUITE_TIMEOUT" "$out" scripts/check-symbols.sh 15 17 18
    grep -E '^symbols |^    ' "$out"
    read -r p fl < <(sed -nE 's/^([0-9]+) passed, ([0-9]+) failed$/\1 \2/p' "$out" | tail -n 1)
    if [[ -z "${p:-}" ]]; then
        tail -n 40 "$out"
        p=0 fl=1
    fi
    record symbols "$p" "$fl"
}

# The standard PGXS target against a throwaway cluster: `make installcheck` with only the pg_regress
# tests (pg_regress creates contrib_regression itself).
suite_regress() {
    local n
    n="$(ls sql/*.sql 2>/dev/null | wc -l)"
    if ((n == 0)); then
        record regress 0 0 "no tests yet"
        return
    fi
    ag_cluster_start regress || { record regress 0 "$n" "cluster did not start"; return; }
    rm -rf results regression.diffs regression.out
    local out="$LOG_DIR/regress.log"
    run_limited "$SUITE_TIMEOUT" "$out" make -s installcheck PG_CONFIG="$AG_BINDIR/pg_config" ISOLATION=
    local rc=$? p fl
    cat "$out"
    read -r p fl < <(count_pg_regress "$out")
    # pg_regress failed without naming a test (could not connect, timed out): count what did not run.
    if ((rc != 0 && fl == 0)); then fl=$((n - p)); ((fl > 0)) || fl=1; fi
    if ((rc != 0)); then
        show_head regression.diffs "regression.diffs"
        show_server_log regress
    fi
    ag_cluster_stop regress immediate
    record regress "$p" "$fl"
}

suite_pgtap() {
    local files=() f
    for f in test/pgtap/*.sql; do
        [[ -e "$f" ]] && files+=("$f")
    done
    if ((${#files[@]} == 0)); then
        record pgtap 0 0 "no tests yet"
        return
    fi
    if ! command -v pg_prove >/dev/null; then
        record pgtap 0 "${#files[@]}" "pg_prove not found"
        return
    fi
    ag_cluster_start pgtap || { record pgtap 0 "${#files[@]}" "cluster did not start"; return; }
    create_test_db pgtap agentguard_pgtap || { record pgtap 0 "${#files[@]}" "createdb failed"; return; }
    local p=0 fl=0 out name failed_any=0
    for f in "${files[@]}"; do
        name="$(basename "$f" .sql)"
        out="$LOG_DIR/pgtap-$name.log"
        if run_limited "$FILE_TIMEOUT" "$out" pg_prove --nocolor --verbose --failures --comments --merge \
            --psql-bin "$AG_BINDIR/psql" -h "$(ag_cluster_host pgtap)" -p "$(ag_cluster_port pgtap)" \
            -U postgres -d agentguard_pgtap "$f"; then
            printf 'pgtap %-40s ok\n' "$name"
            p=$((p + 1))
        else
            printf 'pgtap %-40s FAILED\n' "$name"
            fl=$((fl + 1))
            failed_any=1
            show_head "$out" "pg_prove $f"
        fi
    done
    ((failed_any)) && show_server_log pgtap
    ag_cluster_stop pgtap immediate
    record pgtap "$p" "$fl"
}

# `make installcheck` with only the isolation specs (test/isolation).
suite_isolation() {
    local n
    n="$(ls test/isolation/specs/*.spec 2>/dev/null | wc -l)"
    if ((n == 0)); then
        record isolation 0 0 "no tests yet"
        return
    fi
    ag_cluster_start isolation || { record isolation 0 "$n" "cluster did not start"; return; }
    rm -rf output_iso
    local out="$LOG_DIR/isolation.log"
    run_limited "$SUITE_TIMEOUT" "$out" make -s installcheck PG_CONFIG="$AG_BINDIR/pg_config" REGRESS=
    local rc=$? p fl
    cat "$out"
    read -r p fl < <(count_pg_regress "$out")
    if ((rc != 0 && fl == 0)); then fl=$((n - p)); ((fl > 0)) || fl=1; fi
    if ((rc != 0)); then
        show_head output_iso/regression.diffs "output_iso/regression.diffs"
        show_server_log isolation
    fi
    ag_cluster_stop isolation immediate
    record isolation "$p" "$fl"
}

suite_scripts() {
    local files=() f
    for f in test/scripts/*.sh; do
        [[ -e "$f" ]] && files+=("$f")
    done
    if ((${#files[@]} == 0)); then
        record scripts 0 0 "no tests yet"
        return
    fi
    local p=0 fl=0 out name start rc
    # Each script starts its own clusters; none may reach this run's by accident.
    unset PGHOST PGPORT PGUSER PGDATABASE
    for f in "${files[@]}"; do
        name="$(basename "$f" .sh)"
        out="$LOG_DIR/script-$name.log"
        start=$SECONDS
        run_limited "$SCRIPT_TIMEOUT" "$out" bash "$f"
        rc=$?
        if ((rc == 0)); then
            printf 'script %-40s ok      %4d s\n' "$name" $((SECONDS - start))
            p=$((p + 1))
        else
            if ((rc == 124)); then
                printf 'script %-40s FAILED  %4d s (timed out after %s s)\n' "$name" $((SECONDS - start)) "$SCRIPT_TIMEOUT"
            else
                printf 'script %-40s FAILED  %4d s (exit %d)\n' "$name" $((SECONDS - start)) "$rc"
            fi
            fl=$((fl + 1))
            # The end of a script's output holds its reason and its server log tails.
            printf -- '----- output of %s (last 200 lines) -----\n' "$f"
            tail -n 200 "$out"
            printf -- '----- end of output of %s -----\n' "$f"
        fi
    done
    record scripts "$p" "$fl"
}

# ---------------------------------------------------------------------------------------------------

print_summary() {
    local s note
    printf '\n%-10s %7s %7s %6s  %s\n' suite passed failed secs note
    printf '%-10s %7s %7s %6s  %s\n' ---------- ------ ------ ----- ----
    for s in "${ALL_SUITES[@]}"; do
        [[ -n "${PASS[$s]+x}" ]] || continue
        note="${NOTE[$s]}"
        printf '%-10s %7d %7d %6s  %s\n' "$s" "${PASS[$s]}" "${FAIL[$s]}" "${SECS[$s]:-}" "$note"
    done
    printf '\n%d passed, %d failed\n' "$TOTAL_PASS" "$TOTAL_FAIL"
}

banner "dependencies"
if ! ag_install_deps; then
    echo "could not install the dependencies"
    printf '\n0 passed, 1 failed\n'
    exit 1
fi

banner "build"
if ! ag_build_temp_install 2>&1; then
    echo "the build failed"
    printf '\n0 passed, 1 failed\n'
    exit 1
fi

for s in "${ALL_SUITES[@]}"; do
    case " ${SELECTED[*]} " in
        *" $s "*) ;;
        *) continue ;;
    esac
    banner "$s"
    t0=$SECONDS
    "suite_$s"
    SECS[$s]=$((SECONDS - t0))
    [[ -n "${NOTE[$s]}" ]] && echo "$s: ${NOTE[$s]}"
done

print_summary
((TOTAL_FAIL == 0))
