#!/usr/bin/env bash
#
# Request ids are forever: 4 agents blocked in a loop, kill -9 of the audit writer (the postmaster
# reinitializes the cluster). No request id reported to a client is ever reported again for another
# statement, and every reported id is in agentguard.requests or, across the crash, in the server log.

set -euo pipefail
# shellcheck source=test/lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"
# shellcheck source=test/scripts/audit_common.inc
source "$(dirname "${BASH_SOURCE[0]}")/audit_common.inc"

ag_cluster_start main "restart_after_crash = on"
audit_setup main

# Each agent: blocked statements until the stop file exists; reconnects when the server restarts.
stop="$AG_RUN_DIR/stop"
agent() { # n
    local n="$1" k=0
    while [[ ! -e "$stop" ]]; do
        for ((j = 0; j < 400; j++)); do echo "DROP TABLE public.victim; -- agent $n statement $k.$j"; done |
            ag_psql main -U ai_bot -v ON_ERROR_STOP=0 -q 2>&1 | grep -o 'Request id: [0-9]*' || true
        k=$((k + 1))
    done >"$AG_RUN_DIR/agent$n.ids"
}
for n in 1 2 3 4; do agent "$n" & done

# Wait for a busy writer, kill it mid-stream (a writer that just left for a moment is looked up again).
sleep 1
killed=""
for ((t = 0; t < 20; t++)); do
    writer="$(audit_wait_worker main 'pg_agentguard audit writer')"
    if kill -KILL "$writer" 2>/dev/null; then
        killed="$writer"
        break
    fi
done
[[ -n "$killed" ]] || ag_fail "could not kill a writer"
echo "killed writer $killed"
sleep 2
audit_wait_ready main
sleep 3
touch "$stop"
wait

all="$(cat "$AG_RUN_DIR"/agent*.ids | sed 's/Request id: //')"
total="$(wc -l <<<"$all")"
dups="$(sort <<<"$all" | uniq -d | head -5)"
echo "ids reported to the agents: $total"
(( total > 100 )) || ag_fail "too few blocked statements ($total)"
[[ -z "$dups" ]] || ag_fail "request ids reported twice: $dups"

# Every reported id is in the table or (written before the crash reset the queue) in the server log.
sleep 2
in_table="$(ag_psql main -Atc 'SELECT id FROM agentguard.requests' | sort -u)"
in_log="$(grep -o 'decision=blocked request=[0-9]*' "$(ag_cluster_log main)" | sed 's/.*request=//' | sort -u)"
missing="$(sort -u <<<"$all" | comm -23 - <(sort -u <<<"$in_table"$'\n'"$in_log") | head -5)"
[[ -z "$missing" ]] || ag_fail "reported ids neither in the table nor in the server log: $missing"
lost="$(sort -u <<<"$all" | comm -23 - <(sort -u <<<"$in_table") | wc -l)"
echo "ids only in the server log (queued when the crash reset shared memory): $lost"
echo "PASS"
