#!/usr/bin/env bash
#
# bypass: the extended query protocol (Parse/Bind/Execute, as drivers send it) and prepared statements.
# An agent's oversized DELETE, unqualified UPDATE and DROP TABLE sent that way are stopped and change
# nothing; a small DELETE passes.

set -euo pipefail
# shellcheck source=test/lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"

ag_cluster_start main "agentguard.max_rows = 10"
ag_psql main -q -c 'CREATE EXTENSION pg_agentguard' -c 'CREATE ROLE ext_bot LOGIN' \
    -c 'GRANT agentguard_agent TO ext_bot' -c 'CREATE TABLE public.t (id int PRIMARY KEY, v int)' \
    -c 'INSERT INTO public.t SELECT g, 0 FROM generate_series(1, 1000) g' \
    -c 'ANALYZE public.t' -c 'ALTER TABLE public.t OWNER TO ext_bot'

run() { # mode sql -> pgbench output; pgbench exits non-zero when its client aborts on an error
    printf '%s\n' "$2" >"$AG_RUN_DIR/script.sql"
    chmod 644 "$AG_RUN_DIR/script.sql"
    pgbench -n -M "$1" -t 1 -c 1 -U ext_bot -f "$AG_RUN_DIR/script.sql" postgres 2>&1 || true
}

for mode in extended prepared; do
    out2="$(run "$mode" '\set id 0
DELETE FROM public.t WHERE id > :id;' | tr '\n' ' ')"
    [[ "$out2" == *"would change more than 10 rows"* ]] || ag_fail "$mode: oversized DELETE not stopped: $out2"
    out="$(run "$mode" "UPDATE public.t SET v = 1;" | tr '\n' ' ')"
    [[ "$out" == *"no WHERE clause"* ]] || ag_fail "$mode: unqualified UPDATE not refused: $out"
    out="$(run "$mode" "DROP TABLE public.t;" | tr '\n' ' ')"
    [[ "$out" == *"is blocked"* ]] || ag_fail "$mode: DROP TABLE not blocked: $out"
    [[ "$(ag_psql main -Atc "SELECT count(*)::text || '/' || sum(v) FROM public.t")" == "1000/0" ]] ||
        ag_fail "$mode: data changed"
done

# A small statement passes the same way.
out="$(run extended '\set id 995
DELETE FROM public.t WHERE id > :id;' | tr '\n' ' ')"
[[ "$out" != *"ERROR"* && "$out" != *"error"* ]] || ag_fail "small DELETE refused: $out"
[[ "$(ag_psql main -Atc 'SELECT count(*) FROM public.t')" == 995 ]] || ag_fail "small DELETE did not run"
echo ok
