#!/usr/bin/env bash
#
# A human's session that ran LISTEN agentguard receives, for a new blocked request, the JSON payload
# with the request id, agent, database, command and reason.

set -euo pipefail
# shellcheck source=test/lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"
# shellcheck source=test/scripts/audit_common.inc
source "$(dirname "${BASH_SOURCE[0]}")/audit_common.inc"

ag_cluster_start main
audit_setup main

# psql shows notifications after each command: listen, wait, then run one more command.
listen_out="$AG_RUN_DIR/listen.out"
# Up to 20 short sleeps, so the notification shows however long the machine takes to deliver it.
{ echo 'LISTEN agentguard;'; for ((i = 0; i < 20; i++)); do echo 'SELECT pg_sleep(1);'; done; } |
    ag_psql main -q >"$listen_out" 2>&1 &
listener=$!
for ((i = 0; i < 50; i++)); do
    [[ "$(ag_psql main -Atc "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(1)%'")" == 1 ]] && break
    sleep 0.1
done

out="$(ag_psql main -U ai_bot -v ON_ERROR_STOP=0 -c 'DROP TABLE public.victim' 2>&1)" || true
rid="$(sed -n 's/.*Request id: \([0-9][0-9]*\)\..*/\1/p' <<<"$out" | head -n1)"
[[ -n "$rid" ]] || ag_fail "the blocked DROP named no request id: $out"
for ((i = 0; i < 220; i++)); do
    grep -q 'Asynchronous notification "agentguard" with payload' "$listen_out" && break
    sleep 0.1
done
wait "$listener" || true

line="$(grep 'Asynchronous notification "agentguard" with payload' "$listen_out" || true)"
[[ -n "$line" ]] || ag_fail "LISTEN agentguard received nothing: $(cat "$listen_out")"
payload="$(sed -n 's/.*with payload "\(.*\)" received from server process.*/\1/p' <<<"$line")"
echo "payload: $payload"
check="$(ag_psql main -Atc "SELECT (p->>'id')::bigint = $rid AND p->>'agent' = 'ai_bot' AND p->>'database' = 'postgres'
                                  AND p->>'command' = 'DROP TABLE' AND coalesce(p->>'reason', '') <> ''
                            FROM (SELECT \$\$${payload}\$\$::jsonb AS p) s")"
[[ "$check" == t ]] || ag_fail "unexpected payload: $payload"
[[ "$(grep -c 'Asynchronous notification "agentguard"' "$listen_out")" == 1 ]] || ag_fail "more than one notification"
echo "PASS"
