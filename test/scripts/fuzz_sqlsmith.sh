#!/usr/bin/env bash
#
# Fuzzing as the agent: sqlsmith (random queries, including DELETE/UPDATE/INSERT/upserts in and out of
# CTEs, and random calls of built-in functions) against the red team's fixture (foreign keys,
# partitions, inheritance, views, a materialized view, triggers, rules, large objects), connected as a
# tagged agent that owns the schema. Passes when no backend crashed, the server still answers, and
# every fixture table still holds more rows than the limits let one statement remove.
#
# AG_FUZZ_SECONDS (default 45) sets the run's length; AG_FUZZ_SEED (default 1) the generator's seed.
# A long run: AG_FUZZ_SECONDS=3600 bash test/scripts/fuzz_sqlsmith.sh

set -euo pipefail
# shellcheck source=test/lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SECS="${AG_FUZZ_SECONDS:-45}"
SEED="${AG_FUZZ_SEED:-1}"
command -v sqlsmith >/dev/null || ag_fail "sqlsmith is not installed (Debian package sqlsmith)"

ag_cluster_start fuzz "agentguard.max_rows = 20" "agentguard.fraction_min_rows = 5" "agentguard.max_fraction = 0.05"
ag_psql fuzz -q -c 'CREATE DATABASE fuzz'
ag_psql fuzz -q -d fuzz -f "$HERE/../redteam/fixture.sql" >/dev/null

counts() {
    ag_psql fuzz -d fuzz -Atc "SELECT string_agg(format('%s=%s', c.oid::regclass,
            (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM ONLY %s', c.oid::regclass),
                                                  false, true, '')))[1]::text), ' ' ORDER BY c.relname)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname IN ('app', 'public') AND c.relkind = 'r' AND c.relname NOT LIKE 'pgbench%'"
}
before="$(counts)"

start=$SECONDS
set +e
timeout -k 10 "$SECS" sqlsmith --seed="$SEED" --verbose --exclude-catalog \
    --target="host=$(ag_cluster_host fuzz) port=$(ag_cluster_port fuzz) user=rt_agent dbname=fuzz" \
    >"$AG_RUN_DIR/sqlsmith.out" 2>"$AG_RUN_DIR/sqlsmith.err"
set -e
elapsed=$((SECONDS - start))

crashes="$(grep -c 'terminated by signal\|was terminated by' "$(ag_cluster_log fuzz)" || true)"
queries="$(grep -oE 'queries: [0-9]+' "$AG_RUN_DIR/sqlsmith.err" | tail -n 1 | grep -oE '[0-9]+' || true)"
blocked="$(grep -c 'ZG001\|is blocked\|would change more than\|no WHERE clause' "$(ag_cluster_log fuzz)" || true)"
after="$(counts)"
echo "sqlsmith: ${queries:-?} statements in ${elapsed} s as a tagged agent, $blocked refusals in the server log, $crashes backend crashes"
tail -n 5 "$AG_RUN_DIR/sqlsmith.err" | sed 's/^/    /'
((crashes == 0)) || { grep -B2 -A5 'terminated by signal' "$(ag_cluster_log fuzz)" >&2; ag_fail "a backend crashed"; }
ag_psql fuzz -Atc 'SELECT 1' >/dev/null || ag_fail "the server does not answer"
[[ -n "$queries" && "$queries" -gt 0 ]] || ag_fail "sqlsmith ran no statements: $(tail -n 5 "$AG_RUN_DIR/sqlsmith.err")"

# Each table keeps all but at most what the limits let statements remove one at a time; with the
# fixture's sizes none may be empty, and the application's core tables may not lose more than a fifth.
echo "rows before: $before"
echo "rows after:  $after"
for pair in $after; do
    t="${pair%%=*}" n="${pair#*=}"
    b="$(tr ' ' '\n' <<<"$before" | sed -n "s/^${t//./\\.}=//p")"
    [[ -n "$b" ]] || continue
    ((b == 0 || n > 0)) || ag_fail "$t was emptied ($b rows before)"
    case "$t" in
        app.customers | app.orders | app.ledger) ((n * 5 >= b * 4)) || ag_fail "$t lost more than a fifth: $b -> $n" ;;
    esac
done
for obj in app.customers app.orders app.events app.ledger app.big_orders app.order_totals; do
    [[ "$(ag_psql fuzz -d fuzz -Atc "SELECT to_regclass('$obj') IS NOT NULL")" == t ]] || ag_fail "$obj is gone"
done
[[ "$(ag_psql fuzz -d fuzz -Atc "SELECT tgenabled FROM pg_trigger WHERE tgname = 'ledger_append_only'")" == O ]] ||
    ag_fail "the ledger's trigger was disabled"
echo ok
