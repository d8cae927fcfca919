#!/usr/bin/env bash
#
# Finding 3 of the DBA evaluation: behind pgbouncer in transaction mode, client A's
# SET agentguard.token = ... stayed on the server connection and client B of the same role, which never
# set a token, ran the approved statement. Now a token is honoured only in the transaction that set it
# and cleared when that transaction commits: client B is blocked and cannot even SHOW A's token, and the
# pooler-safe form of the HINT (BEGIN; SET LOCAL agentguard.token = ...; <statement>; COMMIT;) works.

set -euo pipefail
# shellcheck source=test/lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"

command -v pgbouncer >/dev/null 2>&1 || ag_install_deps || true
PGBOUNCER="$(command -v pgbouncer || echo /usr/sbin/pgbouncer)"
[[ -x "$PGBOUNCER" ]] || ag_fail "pgbouncer is not installed (Debian package pgbouncer)"

ag_cluster_start main
ag_psql main -q <<'SQL'
CREATE EXTENSION pg_agentguard;
CREATE ROLE pool_bot LOGIN;
GRANT agentguard_agent TO pool_bot;
CREATE TABLE public.t (id int);
INSERT INTO public.t SELECT g FROM generate_series(1, 2000) g;
ALTER TABLE public.t OWNER TO pool_bot;
SQL

# pgbouncer in transaction mode with exactly one server connection, so A and B share it.
bdir="$AG_RUN_DIR/pgbouncer"
mkdir -p "$bdir"
bport="$(ag__free_port)"
cat >"$bdir/pgbouncer.ini" <<INI
[databases]
postgres = host=$(ag_cluster_host main) port=$(ag_cluster_port main) dbname=postgres
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $bport
unix_socket_dir =
auth_type = trust
auth_file = $bdir/userlist.txt
pool_mode = transaction
default_pool_size = 1
max_client_conn = 10
server_reset_query =
logfile = $bdir/pgbouncer.log
pidfile = $bdir/pgbouncer.pid
INI
printf '"pool_bot" ""\n"postgres" ""\n' >"$bdir/userlist.txt"
ag__is_root && chown -R postgres: "$bdir"
ag_as_postgres "$PGBOUNCER" -d "$bdir/pgbouncer.ini"
ag_on_exit "[[ -f '$bdir/pgbouncer.pid' ]] && kill \$(cat '$bdir/pgbouncer.pid') 2>/dev/null || true"
for ((i = 0; i < 50; i++)); do
    "$AG_BINDIR/psql" -X -h 127.0.0.1 -p "$bport" -U pool_bot -d postgres -Atc 'SELECT 1' >/dev/null 2>&1 && break
    sleep 0.1
done
bouncer() { "$AG_BINDIR/psql" -X -h 127.0.0.1 -p "$bport" -U pool_bot -d postgres "$@"; }

# The blocked DELETE and its approval.
out="$(bouncer -Atc 'DELETE FROM public.t WHERE id > 1' 2>&1 || true)"
rid="$(sed -n 's/.*Request id: \([0-9][0-9]*\)\..*/\1/p' <<<"$out" | head -n1)"
[[ -n "$rid" ]] || ag_fail "the DELETE was not blocked with a request id: $out"
grep -q "BEGIN; SET LOCAL agentguard.token = '<token>'; <statement>; COMMIT;" <<<"$out" ||
    ag_fail "the HINT does not show the pooler-safe form: $out"
for ((i = 0; i < 50; i++)); do
    [[ "$(ag_psql main -Atc "SELECT count(*) FROM agentguard.requests WHERE id = $rid")" == 1 ]] && break
    sleep 0.1
done
tok="$(ag_psql main -Atc "SELECT agentguard.approve($rid)")"

# Client A sets the token the old way (its own transaction) and goes away; client B runs the statement.
bouncer -Atc "SET agentguard.token = '$tok'" >/dev/null
shown="$(bouncer -Atc 'SHOW agentguard.token')"
[[ -z "$shown" ]] || ag_fail "client B sees client A's token: $shown"
out="$(bouncer -Atc 'DELETE FROM public.t WHERE id > 1' 2>&1 || true)"
grep -q 'ERROR:' <<<"$out" || ag_fail "client B ran the approved statement with client A's token: $out"
[[ "$(ag_psql main -Atc 'SELECT count(*) FROM public.t')" == 2000 ]] || ag_fail "rows were deleted"

# A token set in one transaction is not honoured in the next, even on the same client connection.
out="$(bouncer -v ON_ERROR_STOP=0 2>&1 <<SQL || true
SET agentguard.token = '$tok';
DELETE FROM public.t WHERE id > 1;
SQL
)"
grep -q 'ERROR:' <<<"$out" || ag_fail "a token of an earlier transaction was honoured: $out"

# A savepoint rolled back does not bring back an earlier value either.
out="$(bouncer -v ON_ERROR_STOP=0 2>&1 <<SQL || true
BEGIN;
SAVEPOINT s;
SET LOCAL agentguard.token = 'agt_1_0000000000000000000000000000000000000000';
ROLLBACK TO SAVEPOINT s;
DELETE FROM public.t WHERE id > 1;
COMMIT;
SQL
)"
grep -q 'ERROR:' <<<"$out" || ag_fail "a rolled-back SET LOCAL exposed an earlier token: $out"

# The pooler-safe form works, once, and leaves nothing behind.
out="$(bouncer -Atc "BEGIN; SET LOCAL agentguard.token = '$tok'; DELETE FROM public.t WHERE id > 1; COMMIT;" 2>&1)" ||
    ag_fail "the approved statement in the pooler-safe form failed: $out"
[[ "$(ag_psql main -Atc 'SELECT count(*) FROM public.t')" == 1 ]] || ag_fail "the approved DELETE did not run"
shown="$(bouncer -Atc 'SHOW agentguard.token')"
[[ -z "$shown" ]] || ag_fail "the token outlived its transaction: $shown"
echo "PASS"
