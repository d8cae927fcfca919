#!/usr/bin/env bash
#
# Finding 1 of the DBA evaluation: approve, deny, grant_token, revoke_token and a DBA's
# ALTER ROLE/DATABASE/SYSTEM ... SET agentguard.* left no audit row and no log line; a superuser's UPDATE
# or DELETE of audit rows went unnoticed; DROP EXTENSION silently erased every audit row.
# Now each is an audit row (decision approve/deny/grant_token/revoke_token/setting) and a server-log line
# with who and from where; the rows are hash-chained and verify_audit() names the first broken link;
# DROP EXTENSION is refused while there is history unless agentguard.drop_confirm is on.

set -euo pipefail
# shellcheck source=test/lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"
# shellcheck source=test/scripts/audit_common.inc
source "$(dirname "${BASH_SOURCE[0]}")/audit_common.inc"

ag_cluster_start main
audit_setup main
ag_psql main -q -c 'CREATE ROLE alice LOGIN; GRANT agentguard_approver TO alice;'

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

r1="$(blocked_request)"
r2="$(blocked_request)"
tok="$(PGAPPNAME=approver-console ag_psql main -U alice -Atc "SELECT agentguard.approve($r1)")"
tid="$(cut -d_ -f2 <<<"$tok")"
ag_psql main -U alice -Atc "SELECT agentguard.deny($r2, 'not today')" >/dev/null
gtok="$(ag_psql main -U alice -Atc "SELECT agentguard.grant_token('ai_bot', 'TRUNCATE public.victim')")"
gid="$(cut -d_ -f2 <<<"$gtok")"
ag_psql main -U alice -Atc "SELECT agentguard.revoke_token($gid)" >/dev/null
ag_psql main -q -c "ALTER ROLE ai_bot SET agentguard.max_rows = 5000"
ag_psql main -q -c "ALTER DATABASE postgres SET agentguard.mode = 'warn'"
ag_psql main -q -c "ALTER SYSTEM SET agentguard.max_valid_for = '2h'"
ag_psql main -q -c "ALTER ROLE ai_bot SET work_mem = '8MB'"      # not a guard setting: no row

rows="$(ag_psql main -At -F'|' -c "SELECT decision, session_role, coalesce(request_id::text, ''), coalesce(token_id::text, ''), application_name
                                     FROM agentguard.audit_log WHERE decision NOT IN ('blocked', 'approved', 'warned') ORDER BY id")"
echo "$rows"
expected="approve|alice|$r1|$tid|approver-console
deny|alice|$r2||psql
grant_token|alice||$gid|psql
revoke_token|alice||$gid|psql
setting|postgres|||psql
setting|postgres|||psql
setting|postgres|||psql"
[[ "$rows" == "$expected" ]] || ag_fail "unexpected human-action rows; expected:
$expected"
[[ "$(ag_psql main -Atc "SELECT reason FROM agentguard.audit_log WHERE decision = 'setting' ORDER BY id LIMIT 1")" == \
   "agentguard.max_rows = 5000 for role ai_bot" ]] || ag_fail "the setting row does not say what changed"
for d in approve deny grant_token revoke_token setting; do
    grep -q "pg_agentguard: $d by " "$(ag_cluster_log main)" || ag_fail "no server-log line for $d"
done
grep -q "pg_agentguard: approve by alice (current role alice, client local, application \"approver-console\"" "$(ag_cluster_log main)" ||
    ag_fail "the approve log line does not say who and from where"

# The chain verifies; a superuser's UPDATE, then DELETE, of an audit row is reported.
[[ "$(ag_psql main -Atc 'SELECT ok FROM agentguard.verify_audit()')" == t ]] ||
    ag_fail "a fresh chain does not verify: $(ag_psql main -Atc 'SELECT * FROM agentguard.verify_audit()')"
edited="$(ag_psql main -Atc "SELECT id FROM agentguard.audit_log WHERE decision = 'deny'")"
ag_psql main -q -c "UPDATE agentguard.audit_log SET reason = 'approved by nobody' WHERE id = $edited"
got="$(ag_psql main -At -F'|' -c 'SELECT ok, first_broken_id FROM agentguard.verify_audit()')"
[[ "$got" == "f|$edited" ]] || ag_fail "an edited row was not reported: $got"
ag_psql main -q -c "UPDATE agentguard.audit_log SET reason = 'denied request $r2: not today' WHERE id = $edited"
[[ "$(ag_psql main -Atc 'SELECT ok FROM agentguard.verify_audit()')" == t ]] || ag_fail "restoring the value did not verify"
deleted="$(ag_psql main -Atc "SELECT id FROM agentguard.audit_log WHERE decision = 'grant_token'")"
next="$(ag_psql main -Atc "SELECT min(id) FROM agentguard.audit_log WHERE id > $deleted")"
ag_psql main -q -c "DELETE FROM agentguard.audit_log WHERE id = $deleted"
got="$(ag_psql main -At -F'|' -c 'SELECT ok, first_broken_id FROM agentguard.verify_audit()')"
[[ "$got" == "f|$next" ]] || ag_fail "a deleted row was not reported: $got"

# DROP EXTENSION keeps the history unless confirmed.
out="$(ag_psql main -c 'DROP EXTENSION pg_agentguard' 2>&1 || true)"
grep -q 'would erase the audit history' <<<"$out" || ag_fail "DROP EXTENSION was not refused: $out"
[[ "$(ag_psql main -Atc "SELECT count(*) > 0 FROM agentguard.audit_log")" == t ]] || ag_fail "history lost"
ag_psql main -q -c 'SET agentguard.drop_confirm = on; DROP EXTENSION pg_agentguard'
grep -q 'is dropped by postgres with agentguard.drop_confirm = on' "$(ag_cluster_log main)" ||
    ag_fail "the confirmed drop left no log line"
echo "PASS"
