#!/usr/bin/env bash
#
# Hot standby (pg_basebackup -R): an agent's blocked statement queues nothing there (the server-log line
# is the record), never waits on a full queue, and its error says to run the statement on the primary,
# with no request id and no approval hint; approve() on the standby says where to run it.

set -euo pipefail
# shellcheck source=test/lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"
# shellcheck source=test/scripts/audit_common.inc
source "$(dirname "${BASH_SOURCE[0]}")/audit_common.inc"

ag_cluster_start main "wal_level = replica" "max_wal_senders = 4"
audit_setup main

sdir="$AG_RUN_DIR/standby"
mkdir -p "$sdir"
chmod 755 "$sdir"
ag__is_root && chown postgres: "$sdir"
ag_as_postgres "$AG_BINDIR/pg_basebackup" -D "$sdir/data" -R -h "$(ag_cluster_host main)" \
    -p "$(ag_cluster_port main)" -U postgres -X stream >/dev/null 2>&1 || ag_fail "pg_basebackup failed"
sport="$(ag__free_port)"
{
    printf 'port = %s\n' "$sport"
    printf "unix_socket_directories = '%s'\n" "$sdir"
    printf 'hot_standby = on\n'
} >>"$sdir/data/postgresql.conf"
ag_on_exit "ag_as_postgres '$AG_BINDIR/pg_ctl' -D '$sdir/data' -m immediate stop >/dev/null 2>&1 || true"
ag_as_postgres "$AG_BINDIR/pg_ctl" -D "$sdir/data" -l "$sdir/postgres.log" -w -t 60 start >/dev/null ||
    ag_fail "the standby did not start"
spsql() { PGHOST="$sdir" PGPORT="$sport" PGUSER=postgres PGDATABASE=postgres "$AG_BINDIR/psql" -X "$@"; }
[[ "$(spsql -Atc 'SELECT pg_is_in_recovery()')" == t ]] || ag_fail "not a standby"

t0=$(date +%s%N)
out="$(for ((i = 0; i < 50; i++)); do echo 'DROP TABLE public.victim;'; done |
    spsql -U ai_bot -v ON_ERROR_STOP=0 2>&1 || true)"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[[ "$(grep -c 'ERROR:.*is blocked' <<<"$out")" == 50 ]] || ag_fail "expected 50 blocked statements: $(head -5 <<<"$out")"
grep -q 'Request id' <<<"$out" && ag_fail "a standby handed out a request id"
grep -q 'approve(' <<<"$out" && ag_fail "an agent on the standby was told to ask for an approval"
grep -q 'HINT:.*standby.*primary' <<<"$out" || ag_fail "the hint does not say to run it on the primary: $(grep HINT <<<"$out" | head -1)"
echo "50 blocked statements on the standby in $ms ms"
stats="$(spsql -Atc 'SELECT enqueued, overflowed FROM agentguard.queue_stats()')"
[[ "$stats" == "0|0" ]] || ag_fail "the standby queued events: enqueued|overflowed = $stats"
grep -c 'decision=blocked' "$sdir/postgres.log" | grep -qx 50 || ag_fail "the standby's server log does not hold the 50 events"

out="$(spsql -v ON_ERROR_STOP=0 -c 'SELECT agentguard.approve(1)' 2>&1 || true)"
grep -q 'standby' <<<"$out" || ag_fail "approve() on the standby: $out"
grep -q -i 'primary' <<<"$out" || ag_fail "approve() on the standby does not say where to run it: $out"
echo "PASS"
