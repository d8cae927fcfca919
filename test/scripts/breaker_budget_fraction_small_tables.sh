#!/usr/bin/env bash
#
# Budget per table: an agent empties 20 tables of 80 rows, one per statement. Each statement is small
# (80 rows: under agentguard.max_rows and under agentguard.fraction_min_rows), but agentguard.budget_fraction
# (0.5) applies to tables of more than 50 rows: the first statement is stopped at the 41st row (nothing
# changed), the breaker trips, the other 19 get ZG002. With budget_fraction = 1 (off) for the role the
# same work goes through, and a table of 50 rows or fewer is never judged by the fraction. The window
# slides: 30 rows of an 80-row table now and 30 more two hours later are fine, 30 more within the hour
# are not.

set -euo pipefail
# shellcheck source=test/lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"

# the defaults of the breaker (test/lib/cluster.sh turns it off for other tests)
ag_cluster_start main "agentguard.breaker_blocks = 5" "agentguard.budget_rows = -1" "agentguard.budget_fraction = 0.5"
ag_psql main -q <<'SQL'
CREATE EXTENSION pg_agentguard;
CREATE ROLE ai_bot LOGIN;
CREATE ROLE ai_free LOGIN;
GRANT agentguard_agent TO ai_bot, ai_free;
ALTER ROLE ai_free SET agentguard.budget_fraction = 1;
CREATE ROLE alice LOGIN;
GRANT agentguard_approver TO alice;
DO $$BEGIN
  FOR i IN 1..20 LOOP
    EXECUTE format('CREATE TABLE public.t%s (id int PRIMARY KEY)', i);
    EXECUTE format('INSERT INTO public.t%s SELECT generate_series(1, 80)', i);
    EXECUTE format('GRANT SELECT, DELETE ON public.t%s TO ai_bot, ai_free', i);
  END LOOP;
END$$;
CREATE TABLE public.small (id int PRIMARY KEY);
INSERT INTO public.small SELECT generate_series(1, 50);
GRANT SELECT, DELETE ON public.small TO ai_bot;
SQL

out="$(for i in $(seq 1 20); do echo "DELETE FROM public.t$i WHERE id > 0;"; done |
    ag_psql main -U ai_bot -v ON_ERROR_STOP=0 -v VERBOSITY=verbose -q 2>&1 || true)"
first="$(grep -m1 '^ERROR' <<<"$out")"
echo "first refusal: $first"
grep -q '^ERROR:  ZG001: DELETE on public.t1 would change more than 40 of its 80 rows within 1h (agentguard.budget_fraction' <<<"$first" ||
    ag_fail "the first table was not stopped by the fraction budget: $first"
[[ "$(grep -c '^ERROR:  ZG002' <<<"$out")" == 19 ]] || ag_fail "expected 19 breaker refusals: $out"
[[ "$(ag_psql main -Atc 'SELECT count(*) FROM public.t1')" == 80 ]] || ag_fail "the stopped statement changed rows"

# The rule applies only above 50 rows, and not at all with budget_fraction = 1.
ag_psql main -U alice -Atc "SELECT agentguard.reset_breaker('ai_bot')" >/dev/null
ag_psql main -U ai_bot -v ON_ERROR_STOP=1 -q -c 'DELETE FROM public.small WHERE id > 0' || ag_fail "a 50-row table was judged by the fraction"
o="$(for i in $(seq 1 20); do echo "DELETE FROM public.t$i WHERE id > 0;"; done | ag_psql main -U ai_free -v ON_ERROR_STOP=1 -q 2>&1)" ||
    ag_fail "budget_fraction = 1 did not turn the rule off: $o"

# The window slides: 60 of 200 rows now, 60 more two hours later are fine; 30 more within that hour
# are not (90 of the 140 rows the table had when the new window began).
ag_psql main -q -c 'CREATE TABLE public.slide (id int PRIMARY KEY); INSERT INTO public.slide SELECT generate_series(1, 200); GRANT SELECT, DELETE ON public.slide TO ai_bot'
ag_psql main -U ai_bot -v ON_ERROR_STOP=1 -q -c 'DELETE FROM public.slide WHERE id <= 60' || ag_fail "60 of 200"
ag_psql main -Atc "SELECT agentguard._breaker_clock_advance('2 hours')" >/dev/null
ag_psql main -U ai_bot -v ON_ERROR_STOP=1 -q -c 'DELETE FROM public.slide WHERE id BETWEEN 61 AND 120' || ag_fail "after the window slid"
o="$(ag_psql main -U ai_bot -v ON_ERROR_STOP=0 -q -c 'DELETE FROM public.slide WHERE id BETWEEN 121 AND 150' 2>&1 || true)"
grep -q 'agentguard.budget_fraction' <<<"$o" || ag_fail "90 of 140 rows within one hour were not stopped: $o"
[[ "$(ag_psql main -Atc 'SELECT count(*) FROM public.slide')" == 80 ]] || ag_fail "the stopped statement changed rows"
echo "PASS"
