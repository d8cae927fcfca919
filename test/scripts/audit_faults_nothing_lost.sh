#!/usr/bin/env bash
#
# Faults lose no audit record: a human holds LOCK TABLE agentguard.audit_log for a long time
# (AG_LOCK_HOLD_SECS, default 20), the launcher is terminated while records wait, and the server stops
# with -m immediate while the queue is full of records it could not write. Afterwards every record is in
# the table, or (only across the immediate stop, which loses shared memory) in the server log.
# Writer SIGKILL and SIGTERM: audit_worker_sigkill.sh, audit_worker_sigterm.sh.

set -euo pipefail
# shellcheck source=test/lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"
# shellcheck source=test/scripts/audit_common.inc
source "$(dirname "${BASH_SOURCE[0]}")/audit_common.inc"

HOLD="${AG_LOCK_HOLD_SECS:-20}"
ag_cluster_start main
audit_setup main
log="$(ag_cluster_log main)"

# 1. A human's lock on the audit table for $HOLD s: the writer retries, nothing is dropped.
audit_hold_writer main
audit_block main 200 locked
sleep "$HOLD"
stats="$(ag_psql main -Atc 'SELECT pending, overflowed, discarded FROM agentguard.queue_stats()')"
[[ "$stats" == "200|0|0" ]] || ag_fail "after ${HOLD} s under the lock: pending|overflowed|discarded = $stats"
audit_release_writer
audit_wait_rows main locked 200 30
echo "lock held ${HOLD} s: 200 of 200 records written afterwards"

# 2. The launcher is terminated while records wait (a writer cannot write them yet).
audit_hold_writer main
audit_block main 50 launcher_down
launcher="$(audit_wait_worker main 'pg_agentguard audit launcher')"
kill -TERM "$launcher"
audit_release_writer
audit_wait_rows main launcher_down 50 30
echo "launcher terminated: 50 of 50 records written"

# 3. Immediate stop with records the writer could not write.
audit_hold_writer main
audit_block main 300 immediate
[[ "$(ag_psql main -Atc 'SELECT pending FROM agentguard.queue_stats()')" -ge 300 ]] || ag_fail "records not queued"
ag_cluster_stop main immediate
audit_release_writer
ag_cluster_restart main
rows="$(audit_rows main immediate)"
logged="$(grep -c 'decision=blocked .*application_name="immediate"' "$log" || true)"
echo "immediate stop: $rows rows in the table, $logged events in the server log"
[[ "$logged" == 300 ]] || ag_fail "the server log holds $logged of 300 events"
# Nothing else was lost on the way.
[[ "$(audit_rows main locked)" == 200 && "$(audit_rows main launcher_down)" == 50 ]] || ag_fail "earlier rows changed"
echo "PASS"
