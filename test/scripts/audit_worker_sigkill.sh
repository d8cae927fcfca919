#!/usr/bin/env bash
#
# SIGKILL of the audit writer, then of the launcher: the postmaster reinitializes (expected for any
# killed backend), both workers come back, and events after the recovery arrive in the table.

set -euo pipefail
# shellcheck source=test/lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"
# shellcheck source=test/scripts/audit_common.inc
source "$(dirname "${BASH_SOURCE[0]}")/audit_common.inc"

ag_cluster_start main
audit_setup main
audit_block main 3 before
audit_wait_rows main before 3

# Writers leave when their queue is empty: keep this one busy (a human holds a lock on the table), so
# there is one to kill.
audit_hold_writer main
audit_block main 1 held
writer="$(audit_wait_worker main 'pg_agentguard audit writer')"
launcher="$(audit_wait_worker main 'pg_agentguard audit launcher')"
kill -KILL "$writer"
audit_release_writer
audit_wait_ready main
new_launcher="$(audit_wait_worker main 'pg_agentguard audit launcher' "$launcher")"
audit_block main 5 after_writer_kill
audit_wait_rows main after_writer_kill 5
echo "writer $writer killed; a new writer wrote the later events"

kill -KILL "$new_launcher"
audit_wait_ready main
audit_wait_worker main 'pg_agentguard audit launcher' "$new_launcher" >/dev/null
audit_block main 4 after_launcher_kill
audit_wait_rows main after_launcher_kill 4
# Rows committed before the kills are still there, once each.
[[ "$(audit_rows main before)" == 3 && "$(audit_rows main after_writer_kill)" == 5 ]] ||
    ag_fail "earlier rows changed after the restarts"
echo "PASS"
