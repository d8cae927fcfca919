#!/usr/bin/env bash
#
# An agent — also a superuser agent — cannot forge, change or erase audit rows or requests: INSERT,
# UPDATE, DELETE, TRUNCATE, COPY FROM, and planting a trigger or rule are refused, and the data is
# unchanged afterwards.

set -euo pipefail
# shellcheck source=test/lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"
# shellcheck source=test/scripts/audit_common.inc
source "$(dirname "${BASH_SOURCE[0]}")/audit_common.inc"

ag_cluster_start main
audit_setup main
ag_psql main -q -c 'CREATE ROLE ai_root LOGIN SUPERUSER; GRANT agentguard_agent TO ai_root'
audit_block main 3 seed
audit_wait_rows main seed 3

# The refused attempts are intercepted statements too and get audit rows of their own: compare the rows
# that existed before, and check that every new row is a refusal.
max_audit="$(ag_psql main -Atc 'SELECT max(id) FROM agentguard.audit_log')"
max_req="$(ag_psql main -Atc 'SELECT coalesce(max(id), 0) FROM agentguard.requests')"
snapshot() {
    ag_psql main -Atc "SELECT (SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, ',' ORDER BY id)), '')
                                 FROM agentguard.audit_log t WHERE id <= $max_audit)
                           || '/' ||
                              (SELECT count(*) || ':' || coalesce(md5(string_agg(r::text, ',' ORDER BY id)), '')
                                 FROM agentguard.requests r WHERE id <= $max_req)"
}
before="$(snapshot)"

attempts=(
    "INSERT INTO agentguard.audit_log (logged_at, database, session_role, \"current_role\", backend_pid, command, decision) VALUES (now(), 'postgres', 'x', 'x', 1, 'FORGED', 'approved')"
    "UPDATE agentguard.audit_log SET decision = 'approved'"
    "DELETE FROM agentguard.audit_log"
    "TRUNCATE agentguard.audit_log"
    "COPY agentguard.audit_log (logged_at, database, session_role, \"current_role\", backend_pid, command, decision) FROM STDIN"
    "INSERT INTO agentguard.requests (id, requested_at, agent, agent_oid, database_oid, command, statement, statement_hash) VALUES (999999, now(), 'ai_bot', 1, 1, 'DROP TABLE', 'x', '\\x00')"
    "UPDATE agentguard.requests SET status = 'approved'"
    "DELETE FROM agentguard.requests"
    "TRUNCATE agentguard.requests"
    "CREATE RULE r AS ON INSERT TO agentguard.audit_log DO INSTEAD NOTHING"
    "CREATE FUNCTION public.f() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NULL; END'; CREATE TRIGGER t BEFORE INSERT ON agentguard.audit_log FOR EACH ROW EXECUTE FUNCTION public.f()"
    "ALTER TABLE agentguard.audit_log DISABLE TRIGGER ALL"
    "WITH d AS (DELETE FROM agentguard.audit_log RETURNING 1) SELECT count(*) FROM d"
    "DO \$\$BEGIN EXECUTE 'DELETE FROM agentguard.audit_log'; END\$\$"
)
for role in ai_bot ai_root; do
    for sql in "${attempts[@]}"; do
        out="$(printf '%s;\n\\.\n' "$sql" | ag_psql main -U "$role" -v ON_ERROR_STOP=1 2>&1)" &&
            ag_fail "$role succeeded: $sql"
        grep -q 'ERROR' <<<"$out" || ag_fail "$role: no error for: $sql ($out)"
    done
done

after="$(snapshot)"
[[ "$before" == "$after" ]] || ag_fail "audit data changed: $before -> $after"
[[ "$(ag_psql main -Atc "SELECT count(*) FROM agentguard.audit_log WHERE id > $max_audit
                           AND (decision <> 'blocked' OR session_role NOT IN ('ai_bot', 'ai_root') OR command = 'FORGED')")" == 0 ]] ||
    ag_fail "a forged or non-refusal row appeared: $(ag_psql main -Atc "SELECT * FROM agentguard.audit_log WHERE id > $max_audit")"
[[ "$(ag_psql main -Atc "SELECT count(*) FROM agentguard.requests WHERE id = 999999 OR status <> 'pending'")" == 0 ]] ||
    ag_fail "a forged or decided request appeared"
[[ "$(ag_psql main -Atc "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'agentguard.audit_log'::regclass AND NOT tgisinternal")" == 0 ]] ||
    ag_fail "a trigger was planted"
[[ "$(ag_psql main -Atc "SELECT count(*) FROM pg_rewrite WHERE ev_class = 'agentguard.audit_log'::regclass")" == 0 ]] ||
    ag_fail "a rule was planted"
# The worker keeps writing.
audit_block main 2 after
audit_wait_rows main after 2
echo "PASS"
