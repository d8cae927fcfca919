#!/usr/bin/env bash
#
# Finding 5 of the DBA evaluation: with the extension created but the library removed from
# shared_preload_libraries, an agent's DELETE of 5,000 rows just ran and nothing said the guard was off.
# Now: the server log has a startup line with version and mode while the library is loaded, and none
# without it; agentguard.library_loaded() (plain SQL, so it answers without the library) turns false,
# the documented monitoring check; and an agent role set up to fail closed
# (ALTER ROLE ... SET session_preload_libraries = 'pg_agentguard') cannot connect at all, while humans can.

set -euo pipefail
# shellcheck source=test/lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"

ag_cluster_start main
ag_psql main -q <<'SQL'
CREATE EXTENSION pg_agentguard;
CREATE ROLE gone_bot LOGIN;
GRANT agentguard_agent TO gone_bot;
ALTER ROLE gone_bot SET session_preload_libraries = 'pg_agentguard';
CREATE TABLE public.t (id int);
INSERT INTO public.t SELECT g FROM generate_series(1, 5000) g;
ALTER TABLE public.t OWNER TO gone_bot;
SQL
log="$(ag_cluster_log main)"
grep -qE 'LOG:  pg_agentguard 1\.[0-9]+ loaded: agentguard.mode = enforce' "$log" || ag_fail "no startup line in the server log"
[[ "$(ag_psql main -Atc 'SELECT agentguard.library_loaded()')" == t ]] || ag_fail "library_loaded() is not true"
# With the library loaded, the fail-closed role setting changes nothing: the agent works and is guarded.
out="$(ag_psql main -U gone_bot -Atc 'DELETE FROM public.t' 2>&1 || true)"
grep -q 'is blocked\|would change more than' <<<"$out" || ag_fail "the agent was not guarded: $out"

# Remove the library and restart.
data="$(ag_cluster_datadir main)"
sed -i "s/^shared_preload_libraries = 'pg_agentguard'/shared_preload_libraries = ''/" "$data/postgresql.conf"
lines_before="$(grep -c 'pg_agentguard .* loaded' "$log")"
ag_cluster_restart main
[[ "$(grep -c 'pg_agentguard .* loaded' "$log")" == "$lines_before" ]] || ag_fail "a startup line without the library"

# The monitoring check of the README.
[[ "$(ag_psql main -Atc 'SELECT agentguard.library_loaded()')" == f ]] || ag_fail "library_loaded() does not notice"
alert="$(ag_psql main -Atc "SELECT count(*) FROM pg_extension WHERE extname = 'pg_agentguard' AND NOT agentguard.library_loaded()")"
[[ "$alert" == 1 ]] || ag_fail "the README's alert query does not fire"

# Fail closed: the agent cannot connect; a human can, and the rows are all there.
out="$(ag_psql main -U gone_bot -Atc 'DELETE FROM public.t' 2>&1 || true)"
grep -q 'must be loaded via shared_preload_libraries' <<<"$out" || ag_fail "the agent connected without the guard: $out"
[[ "$(ag_psql main -Atc 'SELECT count(*) FROM public.t')" == 5000 ]] || ag_fail "the agent deleted rows"
echo "PASS"
