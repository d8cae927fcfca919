#!/usr/bin/env bash
#
# Checks test/lib/cluster.sh itself, which every scripted test relies on: clusters of the private
# installation start with pg_agentguard preloaded, CREATE EXTENSION finds the installed files, and
# data survives a clean restart, a crash restart and a killed postmaster.

set -euo pipefail
# shellcheck source=test/lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"

ag_cluster_start one
ag_cluster_start two "work_mem = '8MB'"

p1="$(ag_cluster_port one)"
p2="$(ag_cluster_port two)"
[[ "$p1" != "$p2" ]] || ag_fail "both clusters got port $p1"
[[ "$p1" != 5432 && "$p2" != 5432 ]] || ag_fail "a cluster got port 5432"

[[ "$(ag_psql two -Atc 'SHOW work_mem')" == 8MB ]] || ag_fail "extra postgresql.conf line not applied"
[[ "$(ag_psql one -Atc 'SHOW shared_preload_libraries')" == pg_agentguard ]] ||
    ag_fail "pg_agentguard is not preloaded"
[[ "$(ag_psql one -Atc 'SHOW data_directory')" == "$(ag_cluster_datadir one)" ]] ||
    ag_fail "cluster 'one' is not the one ag_psql reaches"

# ag_cluster_start exported the last cluster's connection for plain psql.
[[ "$(psql -X -Atc 'SHOW port')" == "$p2" ]] || ag_fail "PGHOST/PGPORT do not point at the last cluster"
ag_cluster_use one
[[ "$(psql -X -Atc 'SHOW port')" == "$p1" ]] || ag_fail "ag_cluster_use did not switch clusters"

ag_psql one -q -c 'CREATE EXTENSION pg_agentguard' || ag_fail "CREATE EXTENSION pg_agentguard failed"
ag_psql one -q -c 'CREATE TABLE keep (i int); INSERT INTO keep VALUES (42)'

check_keep() {
    [[ "$(ag_psql one -Atc 'SELECT i FROM keep')" == 42 ]] || ag_fail "data lost after $1"
}

pid="$(ag_cluster_pid one)"
ag_cluster_restart one
check_keep "a fast restart"
[[ "$(ag_cluster_pid one)" != "$pid" ]] || ag_fail "postmaster pid unchanged by a restart"

ag_cluster_restart one immediate
check_keep "a crash restart"

kill -KILL "$(ag_cluster_pid one)"
ag_cluster_restart one
check_keep "a killed postmaster"

ag_cluster_stop two
if ag_cluster_pid two >/dev/null 2>&1; then ag_fail "cluster 'two' still running after ag_cluster_stop"; fi
ag_cluster_stop two   # stopping a stopped cluster is fine
[[ -s "$(ag_cluster_log two)" ]] || ag_fail "no server log for cluster 'two'"

echo "cluster library ok"
