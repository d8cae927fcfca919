#!/usr/bin/env bash
#
# Tokens with real logins and two databases: a token is bound to the login role and to the database it
# was issued in; an agent that logged in as itself (also a superuser agent) cannot approve its own
# request, read the token data, or forge token rows.
# bypass: token replayed in another database; token of one agent used by another agent; superuser agent
# approving its own request.

set -euo pipefail
# shellcheck source=test/lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"

ag_cluster_start main
ag_psql main -q -c 'CREATE DATABASE tok_db2'
for db in postgres tok_db2; do
    ag_psql main -q -d "$db" \
        -c 'CREATE EXTENSION IF NOT EXISTS pg_agentguard' \
        -c 'SET client_min_messages = warning' \
        -c "DO \$\$ BEGIN
                IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tok_bot') THEN
                    CREATE ROLE tok_bot LOGIN; CREATE ROLE tok_bot2 LOGIN; CREATE ROLE tok_superbot LOGIN SUPERUSER;
                    GRANT agentguard_agent TO tok_bot, tok_bot2, tok_superbot;
                END IF;
            END \$\$" \
        -c 'CREATE TABLE public.t (i int)' -c 'INSERT INTO public.t VALUES (1), (2)' \
        -c 'ALTER TABLE public.t OWNER TO tok_bot' -c 'GRANT ALL ON public.t TO tok_bot2'
done

# A request as the audit worker records it, for the login role tok_bot, in database postgres.
req_id="$(ag_psql main -Atq -c "
    INSERT INTO agentguard.requests (id, requested_at, agent, agent_oid, database_oid, command, statement,
                                     statement_hash, object_oids)
    VALUES (nextval('agentguard.request_id_seq'), clock_timestamp(), 'tok_bot', 'tok_bot'::regrole::oid,
            (SELECT oid FROM pg_database WHERE datname = current_database()), 'DROP TABLE',
            'DROP TABLE public.t', sha256(convert_to('DROP TABLE public.t', 'UTF8')),
            ARRAY['public.t'::regclass::oid])
    RETURNING id")"

# The superuser agent, logged in as itself, cannot approve it, nor read or forge token data.
out="$(ag_psql main -U tok_superbot -Atc "SELECT agentguard.approve($req_id)" 2>&1 || true)"
[[ "$out" == *"agents may not call agentguard.approve()"* ]] || ag_fail "superuser agent approved: $out"
out="$(ag_psql main -U tok_bot -Atc "SELECT agentguard.approve($req_id)" 2>&1 || true)"
[[ "$out" == *"permission denied for function approve"* ]] || ag_fail "agent approved: $out"
out="$(ag_psql main -U tok_superbot -Atc 'SELECT secret_hash FROM agentguard.token_store' 2>&1 || true)"
[[ "$out" == *"token data"* ]] || ag_fail "superuser agent read token_store: $out"
out="$(ag_psql main -U tok_superbot -Atc "UPDATE agentguard.requests SET status = 'approved'" 2>&1 || true)"
[[ "$out" == *"ERROR"* ]] || ag_fail "superuser agent forged a decision: $out"
[[ "$(ag_psql main -Atc "SELECT status FROM agentguard.requests WHERE id = $req_id")" == pending ]] ||
    ag_fail "request no longer pending after the agents' attempts"

tok="$(ag_psql main -Atq -c "SELECT agentguard.approve($req_id, '10 minutes', 1)")"
[[ "$tok" =~ ^agt_[0-9]+_[0-9a-f]{40}$ ]] || ag_fail "unexpected token: $tok"

rows() { ag_psql main -d "$1" -Atc "SELECT count(*) FROM public.t" 2>/dev/null || echo gone; }

# Same login role, other database: no match, nothing dropped there, no use consumed.
out="$(PGOPTIONS="-c agentguard.token=$tok" ag_psql main -d tok_db2 -U tok_bot -Atc 'DROP TABLE public.t' 2>&1 || true)"
[[ "$out" == *ERROR* ]] || ag_fail "token of database postgres worked in tok_db2: $out"
[[ "$(rows tok_db2)" == 2 ]] || ag_fail "table in tok_db2 changed"

# Other agent login, same database: no match.
out="$(PGOPTIONS="-c agentguard.token=$tok" ag_psql main -U tok_bot2 -Atc 'DROP TABLE public.t' 2>&1 || true)"
[[ "$out" == *ERROR* ]] || ag_fail "tok_bot's token worked for tok_bot2: $out"
[[ "$(rows postgres)" == 2 ]] || ag_fail "table changed by tok_bot2"

[[ "$(ag_psql main -Atc "SELECT uses_left FROM agentguard.tokens WHERE id = split_part('$tok', '_', 2)::bigint")" == 1 ]] ||
    ag_fail "a refused presentation consumed a use"

# The right login role in the right database: the statement runs, once.
out="$(PGOPTIONS="-c agentguard.token=$tok" ag_psql main -U tok_bot -Atc 'DROP TABLE public.t' 2>&1)" ||
    ag_fail "approved DROP TABLE failed: $out"
[[ "$(rows postgres)" == gone ]] || ag_fail "table still there after the approved DROP"
ag_psql main -q -c 'CREATE TABLE public.t (i int)' -c 'ALTER TABLE public.t OWNER TO tok_bot'
out="$(PGOPTIONS="-c agentguard.token=$tok" ag_psql main -U tok_bot -Atc 'DROP TABLE public.t' 2>&1 || true)"
[[ "$out" == *ERROR* ]] || ag_fail "replayed token worked: $out"
[[ "$(rows postgres)" == 0 ]] || ag_fail "replay changed the table"

# A token granted in tok_db2 for the same statement works there (tokens are per database).
tok2="$(ag_psql main -d tok_db2 -Atq -c "SET client_min_messages = warning" \
        -c "SELECT agentguard.grant_token('tok_bot', 'DROP TABLE public.t')")"
out="$(PGOPTIONS="-c agentguard.token=$tok2" ag_psql main -d tok_db2 -U tok_bot -Atc 'DROP TABLE public.t' 2>&1)" ||
    ag_fail "granted token in tok_db2 failed: $out"
[[ "$(rows tok_db2)" == gone ]] || ag_fail "tok_db2 table still there"

echo "ok: tokens bound to login role and database"
