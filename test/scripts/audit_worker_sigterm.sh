#!/usr/bin/env bash
#
# SIGTERM to the audit writer and to the launcher: they leave cleanly (no crash restart), come back,
# and events queued while no worker ran are written, as are later ones.

set -euo pipefail
# shellcheck source=test/lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"
# shellcheck source=test/scripts/audit_common.inc
source "$(dirname "${BASH_SOURCE[0]}")/audit_common.inc"

ag_cluster_start main
audit_setup main
audit_block main 3 before
audit_wait_rows main before 3
postmaster="$(ag_cluster_pid main)"
log="$(ag_cluster_log main)"

# The writer alone. Writers leave when their queue is empty: keep this one busy (its records cannot be
# written while a human holds a lock on the table) so that there is one to signal.
audit_hold_writer main
audit_block main 2 held
writer="$(audit_wait_worker main 'pg_agentguard audit writer')"
kill -TERM "$writer"
for ((i = 0; i < 150; i++)); do kill -0 "$writer" 2>/dev/null || break; sleep 0.1; done
kill -0 "$writer" 2>/dev/null && ag_fail "writer $writer ignored SIGTERM"
audit_release_writer
audit_block main 5 after_writer_term
audit_wait_rows main held 2
audit_wait_rows main after_writer_term 5

# Both: events produced while neither runs wait in the queue.
audit_hold_writer main
audit_block main 1 held_again
writer="$(audit_wait_worker main 'pg_agentguard audit writer')"
launcher="$(audit_wait_worker main 'pg_agentguard audit launcher')"
kill -TERM "$writer" "$launcher"
for ((i = 0; i < 150; i++)); do
    kill -0 "$writer" 2>/dev/null || kill -0 "$launcher" 2>/dev/null || break
    sleep 0.1
done
audit_release_writer
audit_block main 6 while_down
audit_wait_worker main 'pg_agentguard audit launcher' "$launcher" >/dev/null
audit_wait_rows main while_down 6 15
audit_block main 2 after_both
audit_wait_rows main after_both 2
audit_wait_rows main held_again 1

[[ "$(ag_cluster_pid main)" == "$postmaster" ]] || ag_fail "the postmaster changed"
grep -q 'all server processes terminated; reinitializing' "$log" && ag_fail "SIGTERM caused a crash restart"
# Failed attempts under the lock are counted in write_failures and retried; nothing is dropped.
[[ "$(ag_psql main -Atc 'SELECT overflowed + discarded FROM agentguard.queue_stats()')" == 0 ]] ||
    ag_fail "queue counted failures: $(ag_psql main -Atc 'SELECT * FROM agentguard.queue_stats()')"
echo "PASS"
