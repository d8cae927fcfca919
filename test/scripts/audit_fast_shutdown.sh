#!/usr/bin/env bash
#
# Events still queued when the server is stopped with pg_ctl stop -m fast are in the table after the
# restart: the writer drains the queue on SIGTERM before it exits.

set -euo pipefail
# shellcheck source=test/lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"
# shellcheck source=test/scripts/audit_common.inc
source "$(dirname "${BASH_SOURCE[0]}")/audit_common.inc"

ag_cluster_start main
audit_setup main
audit_block main 2 warmup
audit_wait_rows main warmup 2

# Hold the writer: a human's session locks the audit table, so the records pile up in the queue.
lockfifo="$AG_RUN_DIR/lock.fifo"
mkfifo "$lockfifo"
chmod a+rw "$lockfifo"
ag_psql main -q <"$lockfifo" >/dev/null 2>&1 &
locker=$!
exec {lockfd}>"$lockfifo"
echo "BEGIN; LOCK TABLE agentguard.audit_log IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(600);" >&"$lockfd"
for ((i = 0; i < 100; i++)); do
    [[ "$(ag_psql main -Atc "SELECT count(*) FROM pg_locks WHERE relation = 'agentguard.audit_log'::regclass AND mode = 'AccessExclusiveLock' AND granted")" == 1 ]] && break
    sleep 0.1
done

audit_block main 200 queued
pending="$(ag_psql main -Atc 'SELECT pending FROM agentguard.queue_stats()')"
[[ "$pending" -ge 200 ]] || ag_fail "expected >= 200 records pending in the queue, found $pending"

ag_cluster_stop main fast
exec {lockfd}>&-
wait "$locker" 2>/dev/null || true
ag_cluster_restart main
rows="$(audit_rows main queued)"
[[ "$rows" == 200 ]] || ag_fail "after fast shutdown and restart: $rows of 200 queued audit rows"
[[ "$(audit_rows main warmup)" == 2 ]] || ag_fail "earlier rows changed"
echo "PASS"
