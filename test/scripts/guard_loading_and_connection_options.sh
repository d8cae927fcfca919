#!/usr/bin/env bash
#
# Loading: the library refuses to load other than through shared_preload_libraries.
# bypass: connection options — an agent (also a superuser agent) cannot set agentguard.* with
# -c at connection time; a human can still connect with them, and agentguard.token is allowed to all.

set -euo pipefail
# shellcheck source=test/lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"

ag_cluster_start main
ag_psql main -q -c 'CREATE EXTENSION pg_agentguard' \
    -c 'CREATE ROLE opt_bot LOGIN SUPERUSER' -c 'GRANT agentguard_agent TO opt_bot' \
    -c 'CREATE ROLE opt_human LOGIN SUPERUSER'

connect_as() { # role options sql
    PGOPTIONS="$2" ag_psql main -U "$1" -Atc "$3" 2>&1
}

out="$(connect_as opt_bot '-c agentguard.mode=off' 'SHOW agentguard.mode' || true)"
[[ "$out" == *"agents may not change pg_agentguard settings"* ]] ||
    ag_fail "superuser agent connected with -c agentguard.mode=off: $out"
out="$(connect_as opt_bot '-c agentguard.max_rows=100000000' 'SHOW agentguard.max_rows' || true)"
[[ "$out" == *"agents may not change pg_agentguard settings"* ]] ||
    ag_fail "superuser agent connected with -c agentguard.max_rows: $out"

# The token is how an agent presents an approval: allowed as a connection option.
out="$(connect_as opt_bot '-c agentguard.token=agt_1_00' 'SHOW agentguard.token')"
[[ "$out" == agt_1_00 ]] || ag_fail "agentguard.token as a connection option: $out"

# A human is not affected.
out="$(connect_as opt_human '-c agentguard.mode=warn' 'SHOW agentguard.mode')"
[[ "$out" == warn ]] || ag_fail "human could not set agentguard.mode at connection: $out"

# The guard of the agent session that did connect is intact.
out="$(ag_psql main -U opt_bot -Atc 'CREATE TABLE t1 (i int); DROP TABLE t1' 2>&1 || true)"
[[ "$out" == *"is blocked"* ]] || ag_fail "agent's DROP TABLE not blocked: $out"

# LOAD by a human (the library is already loaded: a no-op, no error) ...
ag_psql main -q -c "LOAD 'pg_agentguard'" || ag_fail "LOAD of the preloaded library failed"

# ... and a server that only has it in session_preload_libraries refuses to run it.
ag_cluster_start nopreload "shared_preload_libraries = ''" "session_preload_libraries = 'pg_agentguard'"
out="$(ag_psql nopreload -Atc 'SELECT 1' 2>&1 || true)"
[[ "$out" == *"must be loaded via shared_preload_libraries"* ]] ||
    ag_fail "session_preload_libraries did not refuse: $out"
echo "ok"
