#!/usr/bin/env bash
#
# Preview (dry run): agentguard.preview() of a DELETE with an ON DELETE CASCADE fan-out (and a trigger)
# returns per-table counts equal to what the real statement then changes; nothing is changed by any
# preview (table checksums), whatever the statement: oversized and unqualified DML, TRUNCATE ... CASCADE,
# DROP SCHEMA ... CASCADE (every dependent table listed), a partitioned table's members. Self-protection
# still refuses inside a preview. An agent's preview is audited as "previewed"; an approver previews a
# pending request with preview_request(); a human without the approver role may not preview.

set -euo pipefail
# shellcheck source=test/lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"

ag_cluster_start main "agentguard.max_rows = 100"
ag_psql main -q <<'SQL'
CREATE EXTENSION pg_agentguard;
CREATE ROLE ai_bot LOGIN;
GRANT agentguard_agent TO ai_bot;
CREATE ROLE alice LOGIN;
GRANT agentguard_approver TO alice;
CREATE ROLE bob LOGIN;
CREATE SCHEMA app AUTHORIZATION ai_bot;
SET ROLE ai_bot;
CREATE TABLE app.customers (id int PRIMARY KEY, name text);
CREATE TABLE app.orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES app.customers ON DELETE CASCADE);
CREATE TABLE app.items (id serial PRIMARY KEY, order_id int REFERENCES app.orders ON DELETE CASCADE);
CREATE TABLE app.notes (id int PRIMARY KEY, customer_id int REFERENCES app.customers ON DELETE SET NULL);
CREATE TABLE app.gone (customer_id int);
CREATE FUNCTION app.log_gone() RETURNS trigger LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO app.gone VALUES (OLD.id); RETURN OLD; END$$;
CREATE TRIGGER customers_gone AFTER DELETE ON app.customers FOR EACH ROW EXECUTE FUNCTION app.log_gone();
CREATE TABLE app.events (id int, at date) PARTITION BY RANGE (at);
CREATE TABLE app.events_2025 PARTITION OF app.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE app.events_2026 PARTITION OF app.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
RESET ROLE;
GRANT USAGE ON SCHEMA app TO alice;
GRANT SELECT, DELETE ON ALL TABLES IN SCHEMA app TO alice;
INSERT INTO app.customers SELECT g, 'c' || g FROM generate_series(1, 50) g;
INSERT INTO app.orders SELECT g, 1 + g % 50 FROM generate_series(1, 400) g;
INSERT INTO app.items (order_id) SELECT 1 + g % 400 FROM generate_series(1, 3000) g;
INSERT INTO app.notes SELECT g, 1 + g % 50 FROM generate_series(1, 120) g;
INSERT INTO app.events SELECT g, date '2025-06-01' + g FROM generate_series(1, 400) g;
ANALYZE;
SQL

checksums() {
    ag_psql main -Atc "SELECT string_agg(t || ':' || c, ' ' ORDER BY t) FROM (
        SELECT 'customers' t, md5(coalesce(string_agg(x::text, ',' ORDER BY x::text), '')) c FROM app.customers x UNION ALL
        SELECT 'orders', md5(coalesce(string_agg(x::text, ',' ORDER BY x::text), '')) FROM app.orders x UNION ALL
        SELECT 'items', md5(coalesce(string_agg(x::text, ',' ORDER BY x::text), '')) FROM app.items x UNION ALL
        SELECT 'notes', md5(coalesce(string_agg(x::text, ',' ORDER BY x::text), '')) FROM app.notes x UNION ALL
        SELECT 'gone', md5(coalesce(string_agg(x::text, ',' ORDER BY x::text), '')) FROM app.gone x UNION ALL
        SELECT 'events', md5(coalesce(string_agg(x::text, ',' ORDER BY x::text), '')) FROM app.events x) s"
}
before="$(checksums)"

preview() { # role statement
    ag_psql main -U "$1" -At -F ' ' -v ON_ERROR_STOP=1 -c "SELECT object, command, rows, via FROM agentguard.preview(\$q\$$2\$q\$) ORDER BY 1, 2"
}

stmt='DELETE FROM app.customers WHERE id <= 10'
got="$(preview ai_bot "$stmt")"
echo "preview of $stmt:"
echo "$got"
[[ "$(checksums)" == "$before" ]] || ag_fail "the preview changed data"

# The real statement, run by a human, with the counters of its transaction read before it commits.
real="$(ag_psql main -At -F ' ' <<SQL
BEGIN;
$stmt;
SELECT 'app.' || relname, cmd, n, '' FROM (
  SELECT relname, 'DELETE' cmd, n_tup_del n FROM pg_stat_xact_user_tables WHERE schemaname = 'app' AND n_tup_del > 0 UNION ALL
  SELECT relname, 'UPDATE', n_tup_upd FROM pg_stat_xact_user_tables WHERE schemaname = 'app' AND n_tup_upd > 0 UNION ALL
  SELECT relname, 'INSERT', n_tup_ins FROM pg_stat_xact_user_tables WHERE schemaname = 'app' AND n_tup_ins > 0) s ORDER BY 1, 2;
COMMIT;
SQL
)"
real="$(grep '^app\.' <<<"$real")"
echo "real:"
echo "$real"
[[ "$(awk '{print $1, $2, $3}' <<<"$got")" == "$(awk '{print $1, $2, $3}' <<<"$real")" ]] ||
    ag_fail "preview and the real statement differ"
grep -qx 'app.customers DELETE 10 direct' <<<"$got" || ag_fail "direct row missing: $got"
grep -qx 'app.orders DELETE 80 cascade' <<<"$got" || ag_fail "cascade row missing: $got"
grep -qx 'app.items DELETE 600 cascade' <<<"$got" || ag_fail "second-level cascade row missing: $got"
grep -qx 'app.notes UPDATE 29 cascade' <<<"$got" || ag_fail "SET NULL cascade row missing: $got"
grep -qx 'app.gone INSERT 10 trigger' <<<"$got" || ag_fail "trigger row missing: $got"
before="$(checksums)"

# Oversized and unqualified statements of an agent are counted, not stopped, and change nothing.
got="$(preview ai_bot 'DELETE FROM app.items')"
echo "$got"
grep -qx 'app.items DELETE 2400 direct' <<<"$got" || ag_fail "unqualified delete not counted: $got"
got="$(preview ai_bot 'UPDATE app.orders SET customer_id = customer_id WHERE id > 0')"
grep -qx 'app.orders UPDATE 320 direct' <<<"$got" || ag_fail "oversized update not counted: $got"
[[ "$(checksums)" == "$before" ]] || ag_fail "a preview changed data"
# ... and the same statements outside a preview are still stopped.
o="$(ag_psql main -U ai_bot -v ON_ERROR_STOP=0 -c 'DELETE FROM app.items' 2>&1 || true)"
grep -q 'ERROR:.*no WHERE clause' <<<"$o" || ag_fail "the guard did not come back after a preview: $o"
o="$(ag_psql main -U ai_bot -v ON_ERROR_STOP=0 -c "DO \$\$BEGIN PERFORM * FROM agentguard.preview('DELETE FROM app.items WHERE id > 0'); DELETE FROM app.items WHERE id > 0; END\$\$" 2>&1 || true)"
grep -q 'ERROR:.*would change more than 100 rows' <<<"$o" || ag_fail "a preview inside a statement let its real DELETE through: $o"

# DDL: every object it would drop or truncate.
got="$(preview ai_bot 'TRUNCATE app.customers CASCADE')"
echo "$got"
for t in customers orders items notes; do
    grep -q "^app.$t TRUNCATE " <<<"$got" || ag_fail "TRUNCATE CASCADE misses app.$t: $got"
done
grep -q '^app.customers TRUNCATE 40 direct' <<<"$got" || ag_fail "direct truncate row: $got"
got="$(preview ai_bot 'DROP SCHEMA app CASCADE')"
echo "$got"
grep -q '^app DROP SCHEMA .* direct' <<<"$got" || ag_fail "DROP SCHEMA row: $got"
for t in customers orders items notes gone events events_2025 events_2026; do
    grep -q "^app.$t DROP TABLE .* cascade" <<<"$got" || ag_fail "DROP SCHEMA CASCADE misses app.$t: $got"
done
got="$(preview ai_bot 'TRUNCATE app.events')"
grep -q '^app.events_2025 TRUNCATE' <<<"$got" && grep -q '^app.events_2026 TRUNCATE' <<<"$got" ||
    ag_fail "partition members missing: $got"
[[ "$(checksums)" == "$before" ]] || ag_fail "a DDL preview changed data"
[[ "$(ag_psql main -Atc "SELECT count(*) FROM pg_tables WHERE schemaname = 'app'")" == 8 ]] || ag_fail "tables gone"

# Self-protection refuses inside a preview too; a statement list is refused.
o="$(ag_psql main -U ai_bot -v ON_ERROR_STOP=0 -c "SELECT * FROM agentguard.preview('SET agentguard.mode = off')" 2>&1 || true)"
grep -q 'ERROR' <<<"$o" || ag_fail "a preview changed a protected setting: $o"
[[ "$(ag_psql main -U ai_bot -Atc 'SHOW agentguard.mode')" == enforce ]] || ag_fail "mode changed"
o="$(ag_psql main -U ai_bot -v ON_ERROR_STOP=0 -c "SELECT * FROM agentguard.preview('DELETE FROM app.gone WHERE true; DELETE FROM app.items WHERE true')" 2>&1 || true)"
grep -q 'exactly one statement' <<<"$o" || ag_fail "two statements were previewed: $o"
o="$(ag_psql main -U bob -v ON_ERROR_STOP=0 -c "SELECT * FROM agentguard.preview('SELECT 1')" 2>&1 || true)"
grep -q 'ERROR:  permission denied' <<<"$o" || ag_fail "a human without the approver role previewed: $o"

# Audited as previewed (agents only).
for ((i = 0; i < 50; i++)); do
    n="$(ag_psql main -Atc "SELECT count(*) FROM agentguard.audit_log WHERE decision = 'previewed' AND session_role = 'ai_bot'")"
    [[ "$n" -ge 6 ]] && break
    sleep 0.1
done
[[ "$n" -ge 6 ]] || ag_fail "expected the agent's previews in the audit log, found $n"

# An approver previews a pending request.
o="$(ag_psql main -U ai_bot -v ON_ERROR_STOP=0 -c 'DELETE FROM app.orders WHERE id > 100' 2>&1 || true)"
rid="$(sed -n 's/.*Request id: \([0-9][0-9]*\)\..*/\1/p' <<<"$o" | head -n1)"
[[ -n "$rid" ]] || ag_fail "no request id: $o"
for ((i = 0; i < 50; i++)); do
    [[ "$(ag_psql main -Atc "SELECT count(*) FROM agentguard.pending WHERE id = $rid")" == 1 ]] && break
    sleep 0.1
done
got="$(ag_psql main -U alice -At -F ' ' -c "SELECT object, command, rows, via FROM agentguard.preview_request($rid) ORDER BY 1, 2")"
echo "$got"
grep -qx 'app.orders DELETE 240 direct' <<<"$got" || ag_fail "preview_request: $got"
grep -qx 'app.items DELETE 1760 cascade' <<<"$got" || ag_fail "preview_request cascade: $got"
[[ "$(checksums)" == "$before" ]] || ag_fail "preview_request changed data"
kept="$(ag_psql main -U alice -Atc "SELECT last_preview_at IS NOT NULL, jsonb_array_length(last_preview),
                                           last_preview @> '[{\"object\": \"app.orders\", \"rows\": 240, \"via\": \"direct\"}]'
                                    FROM agentguard.pending WHERE id = $rid")"
[[ "$kept" == "t|2|t" ]] || ag_fail "agentguard.pending does not show the last preview: $kept"
echo "PASS"
