#!/usr/bin/env bash
#
# test/redteam/run.sh: the red team. Each file in test/redteam/attacks/ is one attack (or one route the
# guard already holds), named after it. For each file and each role it names, the runner
#   1. makes a fresh database from the fixture (fixture.sql),
#   2. runs the file's "--setup" lines as the superuser (objects a human made, for instance),
#   3. takes the fingerprint (fingerprint.sql: data, objects, owners, privileges, triggers, rules,
#      sequences, large objects, roles, settings files),
#   4. runs the attack as the agent with psql (errors do not stop it), then prints the agent's own
#      session settings that matter,
#   5. passes when the fingerprint and the session settings are unchanged, the output holds every
#      "-- expect:" text, and every "-- check:" query (run as the superuser) returns true.
#
# Directives in an attack file:
#   -- as: owner superuser        roles to attack as (default: owner): rt_agent owns schema app,
#                                 rt_super is a superuser agent
#   --setup <sql>                 run as the superuser before the fingerprint
#   -- expect: <text>             must appear in the attack's output
#   -- check: <sql>               must return true afterwards (run as the superuser)
#
# Usage: test/redteam/run.sh [attack-name...]; prints "ok"/"FAILED" per attack and role, then
# "N passed, M failed". Exits non-zero when anything failed.

set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=test/lib/cluster.sh
source "$HERE/../lib/cluster.sh"

ag_cluster_start rt "agentguard.max_rows = 20" "agentguard.fraction_min_rows = 5" \
    "agentguard.max_fraction = 0.05" || exit 1
ag_psql rt -q -c 'CREATE DATABASE rt_template' || exit 1
ag_psql rt -q -d rt_template -f "$HERE/fixture.sql" >/dev/null || exit 1

declare -A ROLE_OF=([owner]=rt_agent [superuser]=rt_super)
SETTINGS_SQL="SELECT '#setting ' || name || '=' || setting FROM pg_catalog.pg_settings
 WHERE name ~ '^(agentguard\.(mode|max_rows|max_fraction|block_unqualified)|log_(min_messages|statement|min_error_statement|min_duration_statement)|session_replication_role|session_authorization|role)$' ORDER BY 1;"

passed=0
failed=0
SEQ=0
files=()
if (($#)); then
    for a in "$@"; do files+=("$HERE/attacks/$a.sql"); done
else
    files=("$HERE"/attacks/*.sql)
fi

# A check may wait for the audit worker's records: it is asked again for up to 30 s.
check_true() { # db sql
    local i
    for ((i = 0; i < 60; i++)); do
        [[ "$(ag_psql rt -d "$1" -At -c "$2" 2>&1)" == t ]] && return 0
        sleep 0.5
    done
    return 1
}

run_one() { # file role-key
    local file="$1" key="$2" name role out db before after settings0 settings1 line
    name="$(basename "$file" .sql)"
    role="${ROLE_OF[$key]}"
    # A database of its own: the audit worker may still be connected to the previous one.
    SEQ=$((SEQ + 1))
    db="rt_$SEQ"
    ag_psql rt -q -c "CREATE DATABASE $db TEMPLATE rt_template" >/dev/null 2>&1 ||
        { printf 'FAILED  %-48s as %s: could not create its database\n' "$name" "$key"; return 1; }
    while IFS= read -r line; do
        ag_psql rt -q -d "$db" -c "${line#--setup }" >/dev/null 2>&1 ||
            { printf 'FAILED  %-48s as %s: setup failed: %s\n' "$name" "$key" "$line"; return 1; }
    done < <(grep '^--setup ' "$file")
    before="$(ag_psql rt -d "$db" -Atf "$HERE/fingerprint.sql")" || return 1
    settings0="$(ag_psql rt -U "$role" -d "$db" -At -c "$SETTINGS_SQL")" || return 1
    out="$( { cat "$file"; printf '\n\\set ON_ERROR_STOP 0\nROLLBACK;\n%s\n' "$SETTINGS_SQL"; } |
        PGHOST="$(ag_cluster_host rt)" PGPORT="$(ag_cluster_port rt)" PGUSER="$role" PGDATABASE="$db" \
        timeout 120 "$AG_BINDIR/psql" -X -At -v ON_ERROR_STOP=0 -f - 2>&1)"
    # An attack may untag its role for a moment (plans cached before tagging): tag it again.
    ag_psql rt -q -c 'GRANT agentguard_agent TO rt_agent, rt_super' >/dev/null 2>&1
    settings1="$(grep '^#setting ' <<<"$out")"
    after="$(ag_psql rt -d "$db" -Atf "$HERE/fingerprint.sql")" || return 1
    local why=()
    [[ "$before" == "$after" ]] ||
        why+=("the fingerprint changed: $(diff <(echo "$before") <(echo "$after") | grep '^[<>]' | head -n 8 | tr '\n' ';')")
    [[ "$settings0" == "$settings1" ]] ||
        why+=("session settings changed: $(diff <(echo "$settings0") <(echo "$settings1") | grep '^[<>]' | tr '\n' ';')")
    while IFS= read -r line; do
        line="${line#-- expect: }"
        [[ "$out" == *"$line"* ]] || why+=("output lacks \"$line\"")
    done < <(grep '^-- expect: ' "$file")
    while IFS= read -r line; do
        line="${line#-- check: }"
        check_true "$db" "$line" || why+=("check failed: $line")
    done < <(grep '^-- check: ' "$file")
    if grep -q 'server closed the connection unexpectedly\|terminated by signal' <<<"$out"; then
        why+=("a backend crashed")
    fi
    ag_psql rt -q -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true   # busy: left to the cluster's removal
    if ((${#why[@]} == 0)); then
        printf 'ok      %-48s as %s\n' "$name" "$key"
        return 0
    fi
    printf 'FAILED  %-48s as %s: %s\n' "$name" "$key" "${why[*]}"
    printf '%s\n' "$out" | grep -v '^#setting ' | sed 's/^/        | /' | head -n 30
    return 1
}

for f in "${files[@]}"; do
    roles="$(sed -n 's/^-- as: //p' "$f" | head -n 1)"
    for key in ${roles:-owner}; do
        if run_one "$f" "$key"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
    done
done
if ag_psql rt -Atc 'SELECT 1' >/dev/null 2>&1; then :; else
    echo "FAILED  the server is not answering after the attacks"
    failed=$((failed + 1))
fi
printf '%d passed, %d failed\n' "$passed" "$failed"
((failed == 0))
