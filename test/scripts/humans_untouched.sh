#!/usr/bin/env bash
#
# Humans untouched: a corpus of every statement kind the guard intercepts for agents (human_corpus.sql)
# and pgbench's built-in scripts, run by an untagged role (and the corpus also by the superuser) on a
# cluster with the library preloaded and the extension created and on one without the library, give
# identical results.

set -euo pipefail
# shellcheck source=test/lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"
CORPUS="$(dirname "${BASH_SOURCE[0]}")/human_corpus.sql"

ag_cluster_start with "agentguard.max_rows = 10"
ag_cluster_start without "shared_preload_libraries = ''"
for c in with without; do
    ag_psql "$c" -q -c 'CREATE ROLE human LOGIN CREATEDB' -c 'CREATE DATABASE work OWNER human' \
        -c 'CREATE ROLE ai_bot LOGIN'
done
ag_psql with -q -d work -c 'CREATE EXTENSION pg_agentguard' -c 'GRANT agentguard_agent TO ai_bot'
ag_psql without -q -d work -c 'CREATE SCHEMA agentguard'   # same search for names on both sides
[[ "$(ag_psql with -Atc 'SHOW shared_preload_libraries')" == pg_agentguard ]] || ag_fail "library not loaded"
[[ -z "$(ag_psql without -Atc 'SHOW shared_preload_libraries')" ]] || ag_fail "library loaded without"

run_corpus() { # cluster role
    ag_psql "$1" -U "$2" -d work -X -a -v ON_ERROR_STOP=0 -f "$CORPUS" 2>&1 |
        sed -E -e 's/RI_ConstraintTrigger_[a-z]_[0-9]+/RI_ConstraintTrigger/g' -e 's/Asynchronous notification "hc_channel" with payload "hello" received from server process with PID [0-9]+\./(notification)/'
}
for role in human postgres; do
    run_corpus with "$role" >"$AG_RUN_DIR/with-$role.out"
    run_corpus without "$role" >"$AG_RUN_DIR/without-$role.out"
    if ! diff -u "$AG_RUN_DIR/without-$role.out" "$AG_RUN_DIR/with-$role.out" >"$AG_RUN_DIR/diff"; then
        cat "$AG_RUN_DIR/diff" >&2
        ag_fail "the corpus as $role differs with the library"
    fi
    grep -q 'ERROR:  division by zero' "$AG_RUN_DIR/with-$role.out" || ag_fail "the corpus did not run to the end"
    ! grep -q 'agentguard\.\|is blocked\|would change more' "$AG_RUN_DIR/with-$role.out" ||
        ag_fail "the guard spoke to a human ($role)"
    echo "corpus as $role: $(grep -c '' "$AG_RUN_DIR/with-$role.out") lines of output, identical"
done

# pgbench's built-in scripts with a fixed seed and one client: the same final state on both.
bench_state() { # cluster
    ag_psql "$1" -U human -d work -Atc "SELECT (SELECT sum(abalance) FROM pgbench_accounts) || '/' ||
        (SELECT sum(bbalance) FROM pgbench_branches) || '/' || (SELECT sum(tbalance) FROM pgbench_tellers) || '/' ||
        (SELECT count(*) || ':' || sum(delta) FROM pgbench_history)"
}
for c in with without; do
    ag_cluster_use "$c"
    pgbench -q -i -s 1 -U human work >/dev/null 2>&1 || ag_fail "pgbench -i on $c"
    for b in tpcb-like simple-update select-only; do
        pgbench -n -b "$b" -t 300 -c 1 --random-seed=7 -U human work >"$AG_RUN_DIR/bench-$c-$b.out" 2>&1 ||
            ag_fail "pgbench $b on $c: $(tail -n 3 "$AG_RUN_DIR/bench-$c-$b.out")"
        grep -q 'number of failed transactions: 0' "$AG_RUN_DIR/bench-$c-$b.out" ||
            grep -q 'number of transactions actually processed: 300/300' "$AG_RUN_DIR/bench-$c-$b.out" ||
            ag_fail "pgbench $b on $c did not complete"
    done
    eval "state_$c=\"\$(bench_state $c)\""
done
# shellcheck disable=SC2154
[[ "$state_with" == "$state_without" ]] || ag_fail "pgbench state differs: $state_with vs $state_without"
echo "pgbench tpcb-like, simple-update, select-only: identical state $state_with"
echo ok
