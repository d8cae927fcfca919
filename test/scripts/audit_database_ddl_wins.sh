#!/usr/bin/env bash
#
# DBA operations win over the audit writers. DROP DATABASE of an unrelated database right after an
# agent's blocked statement takes under 1 s (the writers absorb the ProcSignal barrier at once), and
# DROP DATABASE, ALTER DATABASE ... RENAME, ... SET TABLESPACE and CREATE DATABASE ... TEMPLATE of the
# database a writer is connected to succeed within 2 s, run by the database's non-superuser owner.

set -euo pipefail
# shellcheck source=test/lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"
# shellcheck source=test/scripts/audit_common.inc
source "$(dirname "${BASH_SOURCE[0]}")/audit_common.inc"

ag_cluster_start main
ts_dir="$AG_RUN_DIR/ts"
mkdir -p "$ts_dir"
ag__is_root && chown postgres: "$ts_dir"
ag_psql main -q <<SQL
CREATE ROLE ai_bot LOGIN;
CREATE ROLE db_owner LOGIN CREATEDB;
CREATE TABLESPACE ts LOCATION '$ts_dir';
GRANT CREATE ON TABLESPACE ts TO db_owner;
SQL

make_db() { # name
    ag_psql main -qc "CREATE DATABASE $1 OWNER db_owner"
    ag_psql main -d "$1" -q <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION pg_agentguard;
GRANT agentguard_agent TO ai_bot;
CREATE TABLE public.victim (x int);
ALTER TABLE public.victim OWNER TO ai_bot;
SQL
}

block_in() { # database
    local out
    out="$(ag_psql main -d "$1" -U ai_bot -v ON_ERROR_STOP=0 -c 'DROP TABLE public.victim' 2>&1 || true)"
    grep -q 'is blocked' <<<"$out" || ag_fail "expected a blocked statement in $1: $out"
}

# ms_of USER DB SQL: runs SQL and prints the server round trip in ms (psql's \timing); fails on error.
ms_of() {
    local out
    out="$(ag_psql main -U "$1" -d "$2" -At <<<"\\timing on
$3" 2>&1)" || ag_fail "$3 failed: $out"
    sed -n 's/^Time: \([0-9]*\)\..*/\1/p' <<<"$out" | tail -1
}

wait_writer_in() { # database: up to 3 s of wall clock, whatever the machine's load
    local deadline=$(( $(date +%s%N) + 3000000000 ))
    while (( $(date +%s%N) < deadline )); do
        [[ "$(ag_psql main -Atc "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_agentguard audit writer' AND datname = '$1'")" == 1 ]] && return 0
    done
    return 1
}

# 1. An unrelated database.
make_db a
block_in a
ag_psql main -qc 'CREATE DATABASE unrelated'
ms="$(ms_of postgres postgres 'DROP DATABASE unrelated')"
bound="$(audit_time_bound 1000)"
echo "DROP DATABASE of an unrelated database after a blocked statement: $ms ms (target 1000 ms, bound now $bound ms)"
(( ms < bound )) || ag_fail "DROP DATABASE of an unrelated database took $ms ms"

# 2. The database where a writer is connected, by its non-superuser owner.
run_case() { # label database sql
    local label="$1" db="$2" sql="$3" ms present=no
    block_in "$db"
    wait_writer_in "$db" && present=yes
    ms="$(ms_of db_owner postgres "$sql")"
    bound="$(audit_time_bound 2000)"
    echo "$label (writer connected before: $present): $ms ms (target 2000 ms, bound now $bound ms)"
    (( ms < bound )) || ag_fail "$label took $ms ms"
}

make_db d_rename
run_case "ALTER DATABASE ... RENAME" d_rename 'ALTER DATABASE d_rename RENAME TO d_renamed'
make_db d_space
run_case "ALTER DATABASE ... SET TABLESPACE" d_space 'ALTER DATABASE d_space SET TABLESPACE ts'
make_db d_tmpl
run_case "CREATE DATABASE ... TEMPLATE" d_tmpl 'CREATE DATABASE d_copy TEMPLATE d_tmpl'
make_db d_drop
run_case "DROP DATABASE" d_drop 'DROP DATABASE d_drop'

# The records of the renamed, moved and copied databases were not lost: they arrive after the DDL.
for db in d_renamed d_space d_tmpl; do
    for ((i = 0; i < 100; i++)); do
        n="$(ag_psql main -d "$db" -Atc "SELECT count(*) FROM agentguard.audit_log WHERE command = 'DROP TABLE'")"
        [[ "$n" -ge 1 ]] && break
        sleep 0.1
    done
    [[ "$n" -ge 1 ]] || ag_fail "the blocked statement of $db has no audit row"
done
# The dropped database's record went to the server log, counted as discarded.
for ((i = 0; i < 100; i++)); do
    d="$(ag_psql main -d a -Atc 'SELECT discarded FROM agentguard.queue_stats()')"
    p="$(ag_psql main -d a -Atc 'SELECT pending FROM agentguard.queue_stats()')"
    [[ "$p" == 0 ]] && break
    sleep 0.1
done
[[ "$p" == 0 ]] || ag_fail "$p records still pending"
echo "discarded: $d"
echo "PASS"
