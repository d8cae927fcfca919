#!/usr/bin/env bash
#
# Finding 6 of the DBA evaluation: after pg_dump/pg_restore into another database, a pending request
# could not be decided ("request 12 belongs to another database"), because requests keep OIDs a restore
# does not preserve; and there was no update path. Now a restored request is bound again by the names
# it recorded (agent, objects) when it is decided, and its token works in the restored database; and
# ALTER EXTENSION pg_agentguard UPDATE from 1.0 gives the same objects as a fresh install.

set -euo pipefail
# shellcheck source=test/lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"

ag_cluster_start main
ag_psql main -q -c 'CREATE DATABASE src'
ag_psql main -d src -q <<'SQL'
CREATE EXTENSION pg_agentguard;
CREATE ROLE rs_bot LOGIN;
GRANT agentguard_agent TO rs_bot;
CREATE TABLE public.t (id int);
ALTER TABLE public.t OWNER TO rs_bot;
SQL
out="$(ag_psql main -d src -U rs_bot -v ON_ERROR_STOP=0 -c 'DROP TABLE public.t' 2>&1)" || true
rid="$(sed -n 's/.*Request id: \([0-9][0-9]*\)\..*/\1/p' <<<"$out" | head -n1)"
[[ -n "$rid" ]] || ag_fail "no request id: $out"
for ((i = 0; i < 100; i++)); do
    [[ "$(ag_psql main -d src -Atc "SELECT count(*) FROM agentguard.requests WHERE id = $rid")" == 1 ]] && break
    sleep 0.1
done

dump="$AG_RUN_DIR/src.dump"
ag_as_postgres "$AG_BINDIR/pg_dump" -h "$(ag_cluster_host main)" -p "$(ag_cluster_port main)" -U postgres -Fc -f "$dump" src
ag_psql main -q -c 'CREATE DATABASE dst'
ag_as_postgres "$AG_BINDIR/pg_restore" -h "$(ag_cluster_host main)" -p "$(ag_cluster_port main)" -U postgres -d dst "$dump"
[[ "$(ag_psql main -d dst -Atc "SELECT count(*) FROM agentguard.pending WHERE id = $rid")" == 1 ]] ||
    ag_fail "the pending request did not survive the restore"
[[ "$(ag_psql main -d dst -Atc "SELECT ok FROM agentguard.verify_audit()")" == t ]] ||
    ag_fail "the restored audit chain does not verify"

tok="$(ag_psql main -d dst -Atc "SELECT agentguard.approve($rid)" 2>"$AG_RUN_DIR/approve.err")" ||
    ag_fail "approve after restore: $(cat "$AG_RUN_DIR/approve.err")"
grep -q "was recorded before a restore" "$AG_RUN_DIR/approve.err" || ag_fail "no notice of the rebinding"
out="$(ag_psql main -d dst -U rs_bot -Atc "BEGIN; SET LOCAL agentguard.token = '$tok'; DROP TABLE public.t; COMMIT;" 2>&1)" ||
    ag_fail "the restored request's token was refused: $out"
[[ "$(ag_psql main -d dst -Atc "SELECT to_regclass('public.t') IS NULL")" == t ]] || ag_fail "the table is still there"
[[ "$(ag_psql main -d src -Atc "SELECT to_regclass('public.t') IS NULL")" == f ]] || ag_fail "the source lost its table"

# ALTER EXTENSION ... UPDATE from 1.0 against a fresh install.
ag_psql main -q -c 'CREATE DATABASE upd' -c 'CREATE DATABASE fresh'
ag_psql main -d upd -q -c "CREATE EXTENSION pg_agentguard VERSION '1.0'"
[[ "$(ag_psql main -d upd -Atc "SELECT count(*) FROM pg_extension_update_paths('pg_agentguard') WHERE source = '1.0' AND target = '1.1' AND path IS NOT NULL")" == 1 ]] ||
    ag_fail "no update path from 1.0 to 1.1"
ag_psql main -d upd -q -c 'ALTER EXTENSION pg_agentguard UPDATE'
ag_psql main -d fresh -q -c 'CREATE EXTENSION pg_agentguard'
objects() {
    ag_psql main -d "$1" -At <<'SQL'
SELECT pg_describe_object(classid, objid, objsubid) FROM pg_depend
 WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_agentguard')
UNION ALL
SELECT format('%s.%s %s %s %s', c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid))
  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
 WHERE c.relnamespace = 'agentguard'::regnamespace
UNION ALL
SELECT format('%s %s', conname, pg_get_constraintdef(oid)) FROM pg_constraint WHERE connamespace = 'agentguard'::regnamespace
UNION ALL
SELECT format('%s %s', p.oid::regprocedure, pg_get_function_result(p.oid)) FROM pg_proc p WHERE p.pronamespace = 'agentguard'::regnamespace
UNION ALL
SELECT format('%s %s', c.relname, c.relacl) FROM pg_class c WHERE c.relnamespace = 'agentguard'::regnamespace
UNION ALL
SELECT format('%s %s', p.oid::regprocedure, p.proacl) FROM pg_proc p WHERE p.pronamespace = 'agentguard'::regnamespace
UNION ALL
SELECT format('view %s %s', c.relname, pg_get_viewdef(c.oid)) FROM pg_class c
 WHERE c.relnamespace = 'agentguard'::regnamespace AND c.relkind = 'v'
ORDER BY 1
SQL
}
objects upd >"$AG_RUN_DIR/upd.txt"
objects fresh >"$AG_RUN_DIR/fresh.txt"
diff "$AG_RUN_DIR/upd.txt" "$AG_RUN_DIR/fresh.txt" || ag_fail "the updated extension differs from a fresh install"
[[ "$(ag_psql main -d upd -Atc "SELECT extversion FROM pg_extension WHERE extname = 'pg_agentguard'")" == 1.1 ]] ||
    ag_fail "the update did not reach 1.1"
echo "PASS"
