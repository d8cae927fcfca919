#!/usr/bin/env bash
#
# The audit row (and pending request) of an agent's blocked DROP TABLE survives the ROLLBACK of the
# statement's transaction and appears within one second; the table is untouched.

set -euo pipefail
# shellcheck source=test/lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"

ag_cluster_start main
ag_psql main -q <<'SQL'
CREATE EXTENSION pg_agentguard;
CREATE ROLE ai_bot LOGIN;
GRANT agentguard_agent TO ai_bot;
CREATE TABLE public.victim (x int);
INSERT INTO public.victim SELECT generate_series(1, 3);
ALTER TABLE public.victim OWNER TO ai_bot;
SQL

out="$(ag_psql main -U ai_bot -v ON_ERROR_STOP=0 -v VERBOSITY=verbose 2>&1 <<'SQL'
BEGIN;
DROP TABLE public.victim;
ROLLBACK;
SQL
)" || true
t0=$(date +%s%N)
grep -q 'ZG001' <<<"$out" || ag_fail "DROP TABLE was not blocked with ZG001: $out"

rows=0
while :; do
    rows="$(ag_psql main -Atc "SELECT count(*) FROM agentguard.audit_log
                               WHERE command = 'DROP TABLE' AND decision = 'blocked'
                                 AND 'public.victim' = ANY (objects)")"
    [[ "$rows" == 1 ]] && break
    (( ($(date +%s%N) - t0) / 1000000 < 1000 )) || break
    sleep 0.02
done
elapsed_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[[ "$rows" == 1 ]] || ag_fail "expected 1 audit row within 1 s, found $rows after ${elapsed_ms} ms"
echo "audit row present after ${elapsed_ms} ms"

# The row says who, where and what.
check="$(ag_psql main -Atc "SELECT session_role = 'ai_bot' AND \"current_role\" = 'ai_bot'
                                  AND database = 'postgres' AND backend_pid > 0
                                  AND statement LIKE 'DROP TABLE public.victim%'
                            FROM agentguard.audit_log")"
[[ "$check" == t ]] || ag_fail "audit row has wrong fields: $(ag_psql main -Atc 'SELECT * FROM agentguard.audit_log')"

# When the error named a request id, the pending request is there too, bound to the login role.
rid="$(sed -n 's/.*Request id: \([0-9][0-9]*\)\..*/\1/p' <<<"$out" | head -n1)"
if [[ -n "$rid" ]]; then
    req="$(ag_psql main -Atc "SELECT count(*) FROM agentguard.requests r
                              WHERE r.id = $rid AND r.status = 'pending' AND r.agent = 'ai_bot'
                                AND r.agent_oid = 'ai_bot'::regrole AND r.database_oid = (SELECT oid FROM pg_database WHERE datname = 'postgres')
                                AND pg_catalog.length(r.statement_hash) = 32
                                AND r.object_oids = ARRAY['public.victim'::regclass::oid]")"
    [[ "$req" == 1 ]] || ag_fail "no pending request $rid for ai_bot: $(ag_psql main -Atc 'SELECT * FROM agentguard.requests')"
    [[ "$(ag_psql main -Atc 'SELECT request_id FROM agentguard.audit_log')" == "$rid" ]] ||
        ag_fail "audit row does not carry request id $rid"
fi

# Nothing was changed.
[[ "$(ag_psql main -Atc 'SELECT count(*) FROM public.victim')" == 3 ]] || ag_fail "public.victim changed"
echo "PASS"
