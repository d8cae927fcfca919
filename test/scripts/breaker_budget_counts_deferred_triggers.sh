#!/usr/bin/env bash
#
# Budgets count the rows that deferred triggers change at COMMIT: an agent's INSERT fires a deferred
# constraint trigger that deletes 30 rows of another table when the transaction commits; those 30 rows
# are in the agent's window (agentguard.breakers), and at 0.5 of a 100-row table a second such commit
# within the hour is stopped at COMMIT by agentguard.budget_fraction, nothing of it kept.

set -euo pipefail
# shellcheck source=test/lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"

# the defaults of the breaker (test/lib/cluster.sh turns it off for other tests)
ag_cluster_start main "agentguard.breaker_blocks = 5" "agentguard.budget_rows = -1" "agentguard.budget_fraction = 0.5"
ag_psql main -q <<'SQL'
CREATE EXTENSION pg_agentguard;
CREATE ROLE ai_bot LOGIN;
GRANT agentguard_agent TO ai_bot;
CREATE TABLE public.victims (id int PRIMARY KEY);
INSERT INTO public.victims SELECT generate_series(1, 100);
CREATE TABLE public.jobs (lo int, hi int);
GRANT SELECT, INSERT ON public.jobs TO ai_bot;
CREATE FUNCTION public.purge() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS
  $$BEGIN DELETE FROM public.victims WHERE id BETWEEN NEW.lo AND NEW.hi; RETURN NULL; END$$;
CREATE CONSTRAINT TRIGGER jobs_purge AFTER INSERT ON public.jobs DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION public.purge();
SQL

ag_psql main -U ai_bot -v ON_ERROR_STOP=1 -q -c 'BEGIN' -c 'INSERT INTO public.jobs VALUES (1, 30)' -c 'COMMIT'
[[ "$(ag_psql main -Atc 'SELECT count(*) FROM public.victims')" == 70 ]] || ag_fail "the deferred trigger did not run"
rows="$(ag_psql main -Atc "SELECT rows_in_window FROM agentguard.breakers WHERE role = 'ai_bot'::regrole")"
[[ "$rows" == 30 ]] || ag_fail "the rows a deferred trigger changed at COMMIT are not in the window: '$rows'"

o="$(ag_psql main -U ai_bot -v ON_ERROR_STOP=0 -c 'BEGIN' -c 'INSERT INTO public.jobs VALUES (31, 60)' -c 'COMMIT' 2>&1 || true)"
echo "$o"
grep -q 'agentguard.budget_fraction' <<<"$o" || ag_fail "60 of 100 rows within one hour were not stopped at COMMIT: $o"
[[ "$(ag_psql main -Atc 'SELECT count(*) FROM public.victims')" == 70 ]] || ag_fail "the stopped COMMIT kept rows"
echo "PASS"
