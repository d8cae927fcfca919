#!/usr/bin/env bash
#
# The demo of pg_agentguard: starts a throwaway cluster with the extension, then shows what happens when
# an AI agent's role tries destructive SQL and what stays possible for a human DBA. Every SQL statement
# is printed before it runs. The cluster is removed at the end (and on Ctrl-C).
#
# Usage: scripts/demo.sh            (AG_KEEP=1 keeps the cluster's directory for a look afterwards)
#
# The refusals of the agent are the point of the demo and do not stop it; anything else that goes
# wrong does, with a non-zero exit status.

set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO_ROOT="$(pwd)"
# shellcheck source=test/lib/cluster.sh
source "$REPO_ROOT/test/lib/cluster.sh"

DB=demo
AGENT=ai_bot

if [[ -t 1 ]]; then
    BOLD=$'\e[1m' DIM=$'\e[2m' RESET=$'\e[0m'
else
    BOLD="" DIM="" RESET=""
fi

heading() { printf '\n%s== %s ==%s\n\n' "$BOLD" "$*" "$RESET"; }
say() { printf '%s\n' "$@"; }
unexpected() {
    printf '\nUNEXPECTED: %s\n' "$*" >&2
    exit 1
}

# sql ROLE <<'SQL' ... SQL
# Runs the statements in one session as ROLE, printing each before it runs. Any error stops the demo.
sql() {
    local role="$1" out rc=0
    printf '%s-- as %s:%s\n' "$DIM" "$role" "$RESET"
    out="$(ag_psql demo -d "$DB" -U "$role" -e 2>&1)" || rc=$?
    printf '%s\n\n' "$out"
    ((rc == 0)) || unexpected "a statement run as $role failed"
}

# refused ROLE STATEMENT [FOLLOW-UP SQL]
# STATEMENT must fail: its error (message, detail, hint) is what the act shows. The follow-up runs in the
# same session afterwards and must succeed. Sets REFUSED_SQLSTATE and REFUSED_OUTPUT.
refused() {
    local role="$1" stmt="$2" follow="${3:-}" out
    printf '%s-- as %s (an agent):%s\n' "$DIM" "$role" "$RESET"
    out="$(ag_psql demo -d "$DB" -U "$role" -e -v ON_ERROR_STOP=0 -v VERBOSITY=default 2>&1 <<SQL
$stmt
\\echo __ag_sqlstate :SQLSTATE
\\set ON_ERROR_STOP 1
$follow
SQL
    )" || { printf '%s\n' "$out"; unexpected "the session of $role failed"; }
    REFUSED_OUTPUT="$(grep -v '^__ag_sqlstate ' <<<"$out" || true)"
    REFUSED_SQLSTATE="$(sed -n 's/^__ag_sqlstate //p' <<<"$out")"
    printf '%s\n\n' "${REFUSED_OUTPUT%$'\n'}"
    if [[ "$REFUSED_SQLSTATE" == 00000 ]]; then
        unexpected "'$stmt' succeeded for $role; pg_agentguard should have refused it"
    fi
    [[ "$REFUSED_SQLSTATE" =~ ^[0-9A-Z]{5}$ ]] || unexpected "could not tell how '$stmt' ended"
}

# True when SQLSTATE is one of PostgreSQL's own codes (so the error did not come from the guard).
core_sqlstate() {
    grep -qE "^$1[[:space:]]" "$AG_SHAREDIR/errcodes.txt"
}

# ---------------------------------------------------------------------------------------------------
# The acts. Each is one function; the order is at the bottom.

act_setup() {
    heading "A database with the extension and some data"
    say "A DBA has put pg_agentguard in shared_preload_libraries and creates the extension:" ""
    sql postgres <<'SQL'
CREATE EXTENSION pg_agentguard;
CREATE TABLE public.users (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email      text NOT NULL UNIQUE,
    name       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO public.users (email, name)
SELECT format('user%s@example.com', i), format('User %s', i)
FROM generate_series(1, 5000) AS i;
ANALYZE public.users;
SELECT count(*) AS users FROM public.users;
SQL
}

act_tag_agent() {
    heading "An AI agent gets its own role, tagged as an agent"
    say "The agent's role owns the application's table, as application roles often do." \
        "Membership in agentguard_agent is what makes a role an agent." ""
    sql postgres <<SQL
CREATE ROLE $AGENT LOGIN;
GRANT agentguard_agent TO $AGENT;
ALTER TABLE public.users OWNER TO $AGENT;
SQL
    say "The agent does its ordinary work as before:" ""
    sql "$AGENT" <<'SQL'
SELECT id, email, name FROM public.users WHERE id <= 3 ORDER BY id;
UPDATE public.users SET name = 'Ada Lovelace' WHERE id = 1;
INSERT INTO public.users (email, name) VALUES ('new@example.com', 'New User');
SQL
}

act_agent_drop_blocked() {
    heading "The agent tries to drop the table"
    refused "$AGENT" "DROP TABLE public.users;"
    if core_sqlstate "$REFUSED_SQLSTATE"; then
        unexpected "the DROP failed with PostgreSQL's own error (SQLSTATE $REFUSED_SQLSTATE), not pg_agentguard's"
    fi
    say "The error says what was blocked, that nothing changed, and how a human can approve it." \
        "The table is still there:" ""
    sql postgres <<'SQL'
SELECT count(*) AS users FROM public.users;
SQL
}

act_agent_cannot_disable() {
    heading "The agent tries to switch the guard off"
    refused "$AGENT" "SET agentguard.mode = 'off';" "SHOW agentguard.mode;"
    grep -qE '^ *enforce *$' <<<"$REFUSED_OUTPUT" ||
        unexpected "agentguard.mode is not 'enforce' after the refused SET"
    say "The setting stays at enforce: a guarded session cannot change the guard's settings." ""
}

act_human_drop_works() {
    heading "A human DBA is not an agent: nothing changes for them"
    sql postgres <<'SQL'
CREATE TABLE public.scratch (id int);
DROP TABLE public.scratch;
SQL
}

act_delete_blocked_by_row_limit() {
    heading "The agent deletes far more rows than it meant to"
    say "An agent may change at most agentguard.max_rows rows (1000) of a table in one statement, and" \
        "at most agentguard.max_fraction (1%) of it once more than agentguard.fraction_min_rows (100)" \
        "rows change. This DELETE would remove almost every user: it is stopped at row 101, before it" \
        "runs to the end, and everything it changed is rolled back:" ""
    refused "$AGENT" "DELETE FROM public.users WHERE id > 10;"
    say "An UPDATE without any WHERE clause is refused before a single row changes:" ""
    refused "$AGENT" "UPDATE public.users SET name = 'oops';"
    sql postgres <<'SQL'
SELECT count(*) AS users, count(*) FILTER (WHERE name = 'oops') AS renamed FROM public.users;
SQL
}

# The request id of the agent's blocked DROP, once the audit worker has written it (within a second).
drop_request_id() {
    local id="" i
    for ((i = 0; i < 50; i++)); do
        id="$(ag_psql demo -d "$DB" -Atc \
            "SELECT max(id) FROM agentguard.pending WHERE statement LIKE 'DROP TABLE public.users%'")"
        [[ -n "$id" ]] && break
        sleep 0.1
    done
    [[ -n "$id" ]] || unexpected "the blocked DROP never appeared in agentguard.pending"
    printf '%s\n' "$id"
}

act_approve_and_retry() {
    heading "A human approves the DROP, once"
    say "Every blocked request waits in agentguard.pending (and was announced with NOTIFY agentguard):" ""
    sql postgres <<'SQL'
SELECT id, agent, statement, reason FROM agentguard.pending ORDER BY id;
SQL
    local req token
    req="$(drop_request_id)"
    say "The approver turns request $req into a token valid for 10 minutes and one use:" ""
    printf '%s-- as postgres (an approver):%s\nSELECT agentguard.approve(%s, valid_for => '"'"'10 minutes'"'"');\n' \
        "$DIM" "$RESET" "$req"
    token="$(ag_psql demo -d "$DB" -Atc "SELECT agentguard.approve($req, valid_for => '10 minutes')")" ||
        unexpected "approve($req) failed"
    [[ "$token" == agt_* ]] || unexpected "approve() returned '$token'"
    printf '%s\n\n' "$token"
    say "The agent presents the token and runs exactly the same statement again:" ""
    sql "$AGENT" <<SQL
BEGIN;
SET LOCAL agentguard.token = '$token';
DROP TABLE public.users;
COMMIT;
SQL
    say "The token was for one use. Replaying it is refused:" ""
    refused "$AGENT" "SET agentguard.token = '$token' \\; DROP TABLE public.users;"
}

act_audit_trail() {
    heading "The audit trail"
    say "Every intercepted statement has a row, also the blocked ones whose transaction rolled back:" ""
    sql postgres <<'SQL'
SELECT id, session_role AS agent, command, decision, rows_affected AS rows, request_id, token_id,
       left(reason, 60) AS reason
FROM agentguard.audit_log ORDER BY id;
SELECT id, request_id, agent, statement, created_by, uses_left, revoked FROM agentguard.tokens;
SQL
}

# ---------------------------------------------------------------------------------------------------

main() {
    local build_log
    say "${BOLD}pg_agentguard demo${RESET}" "Preparing a throwaway PostgreSQL ${AG_PG_MAJOR} cluster..."
    ag_install_deps
    build_log="$(mktemp)"
    ag_on_exit "rm -f '$build_log'"
    if ! ag_build_temp_install >"$build_log" 2>&1; then
        cat "$build_log" >&2
        unexpected "the build failed"
    fi
    ag_cluster_start demo
    ag_psql demo -q -c "CREATE DATABASE $DB"
    say "Cluster ready (port $(ag_cluster_port demo), database $DB)."

    act_setup
    act_tag_agent
    act_agent_drop_blocked
    act_agent_cannot_disable
    act_human_drop_works
    act_delete_blocked_by_row_limit
    act_approve_and_retry
    act_audit_trail

    heading "Done"
    say "The demo cluster is stopped and removed now."
}

main "$@"
