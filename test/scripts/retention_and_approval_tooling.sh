#!/usr/bin/env bash
#
# Finding 7 of the DBA evaluation: no purge, pending requests never expired, the pending view lacked
# database, command and objects, NOTIFY went out for new requests only, worker titles named databases by
# OID, logging had no level. Now: agentguard.purge_audit() (approvers only, audited, the chain still
# verifies), agentguard.request_ttl (an overdue request cannot be approved and is marked expired),
# pending with database, command, objects and expires_at, NOTIFY for decisions, the writer's process
# title with the database name, and agentguard.log_level.

set -euo pipefail
# shellcheck source=test/lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"
# shellcheck source=test/scripts/audit_common.inc
source "$(dirname "${BASH_SOURCE[0]}")/audit_common.inc"

ag_cluster_start main
audit_setup main
ag_psql main -q -c 'CREATE ROLE nobody LOGIN'

blocked_request() { # prints the request id of a blocked DROP TABLE, once its row is written
    local out rid i
    out="$(ag_psql main -U ai_bot -v ON_ERROR_STOP=0 -c 'DROP TABLE public.victim' 2>&1)" || true
    rid="$(sed -n 's/.*Request id: \([0-9][0-9]*\)\..*/\1/p' <<<"$out" | head -n1)"
    [[ -n "$rid" ]] || ag_fail "no request id: $out"
    for ((i = 0; i < 100; i++)); do
        [[ "$(ag_psql main -Atc "SELECT count(*) FROM agentguard.requests WHERE id = $rid")" == 1 ]] && break
        sleep 0.1
    done
    echo "$rid"
}

# pending shows where, what and on which objects.
r1="$(blocked_request)"
got="$(ag_psql main -At -F'|' -c "SELECT database, command, objects, agent, expires_at > requested_at FROM agentguard.pending WHERE id = $r1")"
[[ "$got" == 'postgres|DROP TABLE|{public.victim}|ai_bot|t' ]] || ag_fail "pending row: $got"

# The writer's process title names its database.
wpid="$(audit_worker_pid main 'pg_agentguard audit writer')"
[[ -n "$wpid" ]] || ag_fail "no audit writer running"
title="$(ps -o args= -p "$wpid")"
grep -q 'pg_agentguard audit writer for database postgres' <<<"$title" || ag_fail "writer title: $title"

# NOTIFY for a decision, sent when it commits.
listen_out="$AG_RUN_DIR/listen.out"
ag_psql main -q >"$listen_out" 2>&1 <<'SQL' &
LISTEN agentguard;
SELECT pg_sleep(3);
SELECT 1;
SQL
listener=$!
for ((i = 0; i < 50; i++)); do
    [[ "$(ag_psql main -Atc "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(3)%'")" == 1 ]] && break
    sleep 0.1
done
ag_psql main -Atc "SELECT agentguard.deny($r1, 'no')" >/dev/null
wait "$listener" || true
grep -q "\"decision\": *\"deny\", *\"id\": *$r1" "$listen_out" || grep -q "{\"decision\":\"deny\",\"id\":$r1," "$listen_out" ||
    ag_fail "no NOTIFY for the decision: $(cat "$listen_out")"

# Request expiry.
r2="$(blocked_request)"
sleep 2
out="$(PGOPTIONS='-c agentguard.request_ttl=1s' ag_psql main -Atc "SELECT agentguard.approve($r2)" 2>&1 || true)"
grep -q "request $r2 has expired" <<<"$out" || ag_fail "an overdue request was approved: $out"
[[ "$(PGOPTIONS='-c agentguard.request_ttl=1s' ag_psql main -Atc "SELECT count(*) FROM agentguard.pending")" == 0 ]] ||
    ag_fail "pending lists an expired request"
[[ "$(ag_psql main -Atc "SELECT count(*) FROM agentguard.pending")" == 1 ]] || ag_fail "the default request_ttl is not 1 day"

# purge_audit(): approvers only; audited; expires overdue requests; the chain still verifies.
out="$(ag_psql main -U ai_bot -Atc "SELECT agentguard.purge_audit('0')" 2>&1 || true)"
grep -q 'permission denied\|agents may not' <<<"$out" || ag_fail "an agent purged the audit log: $out"
out="$(ag_psql main -U nobody -Atc "SELECT agentguard.purge_audit('0')" 2>&1 || true)"
grep -q 'permission denied' <<<"$out" || ag_fail "a non-approver purged the audit log: $out"
before="$(ag_psql main -Atc 'SELECT count(*) FROM agentguard.audit_log')"
purged="$(PGOPTIONS='-c agentguard.request_ttl=1s' ag_psql main -Atc "SELECT agentguard.purge_audit('0')")"
[[ "$purged" == "$before" ]] || ag_fail "purge_audit deleted $purged of $before rows"
[[ "$(ag_psql main -Atc "SELECT status FROM agentguard.requests WHERE id = $r2")" == expired ]] ||
    ag_fail "the overdue request was not marked expired"
got="$(ag_psql main -At -F'|' -c "SELECT decision, rows_affected FROM agentguard.audit_log")"
[[ "$got" == "purge|$before" ]] || ag_fail "the purge is not the one audit row left: $got"
audit_block main 2 after
audit_wait_rows main after 2
[[ "$(ag_psql main -Atc 'SELECT ok FROM agentguard.verify_audit()')" == t ]] ||
    ag_fail "the chain does not verify after a purge: $(ag_psql main -Atc 'SELECT * FROM agentguard.verify_audit()')"
# Deleting the oldest rows by hand is not a purge.
ag_psql main -q -c "DELETE FROM agentguard.audit_log WHERE decision = 'purge'"
got="$(ag_psql main -At -F'|' -c 'SELECT ok, problem FROM agentguard.verify_audit()')"
[[ "$got" == "f|the rows before this one were deleted outside agentguard.purge_audit()" ]] ||
    ag_fail "a deletion by hand was not reported: $got"

# agentguard.log_level: below log_min_messages (warning here), the event lines leave the server log.
ag_psql main -q -c "ALTER SYSTEM SET agentguard.log_level = 'debug1'" -c 'SELECT pg_reload_conf()'
sleep 0.5
log="$(ag_cluster_log main)"
n="$(grep -c 'pg_agentguard: decision=blocked' "$log")"
audit_block main 1 quiet
[[ "$(grep -c 'pg_agentguard: decision=blocked' "$log")" == "$n" ]] || ag_fail "log_level did not lower the event line"
echo "PASS"
