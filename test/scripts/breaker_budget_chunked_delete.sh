#!/usr/bin/env bash
#
# Budget across statements: one agent deletes a 100,000-row table in chunks of 900
# (DELETE ... WHERE id IN (SELECT id ... LIMIT 900)), 100 times, from 3 sessions one after another.
# Every chunk is under agentguard.max_rows (1000), but agentguard.budget_rows (default 10 x max_rows =
# 10,000 within agentguard.budget_window) stops the 12th chunk early with its own message, nothing of it
# changed; the breaker trips (NOTIFY type "breaker", one audit row), every later chunk gets ZG002, the
# agent's reads still work, a human is not affected, and reset_breaker() restores the agent's writes.

set -euo pipefail
# shellcheck source=test/lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"

# the defaults of the breaker (test/lib/cluster.sh turns it off for other tests)
ag_cluster_start main "agentguard.breaker_blocks = 5" "agentguard.budget_rows = -1" "agentguard.budget_fraction = 0.5"
ag_psql main -q <<'SQL'
CREATE EXTENSION pg_agentguard;
CREATE ROLE ai_bot LOGIN;
GRANT agentguard_agent TO ai_bot;
CREATE ROLE alice LOGIN;
GRANT agentguard_approver TO alice;
CREATE TABLE public.big (id int PRIMARY KEY, v text);
INSERT INTO public.big SELECT g, 'v' || g FROM generate_series(1, 100000) g;
ALTER TABLE public.big OWNER TO ai_bot;
ANALYZE public.big;
SQL

listen_out="$AG_RUN_DIR/listen.out"
ag_psql main -q >"$listen_out" 2>&1 <<'SQL' &
LISTEN agentguard;
SELECT pg_sleep(8);
SELECT 1;
SQL
listener=$!
for ((i = 0; i < 50; i++)); do
    [[ "$(ag_psql main -Atc "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(8)%'")" == 1 ]] && break
    sleep 0.1
done

chunks() { # how many
    local i
    for ((i = 0; i < $1; i++)); do
        echo 'DELETE FROM public.big WHERE id IN (SELECT id FROM public.big ORDER BY id LIMIT 900);'
    done
}
out1="$(chunks 5 | ag_psql main -U ai_bot -v ON_ERROR_STOP=0 -v VERBOSITY=verbose -q 2>&1 || true)"
out2="$(chunks 5 | ag_psql main -U ai_bot -v ON_ERROR_STOP=0 -v VERBOSITY=verbose -q 2>&1 || true)"
out3="$(chunks 90 | ag_psql main -U ai_bot -v ON_ERROR_STOP=0 -v VERBOSITY=verbose -q 2>&1 || true)"
[[ -z "$out1$out2" ]] || ag_fail "the first 10 chunks were refused: $out1 $out2"
grep -c '^ERROR' <<<"$out3" >/dev/null
first="$(grep -m1 '^ERROR' <<<"$out3")"
echo "first refusal: $first"
grep -q '^ERROR:  ZG001: DELETE on public.big would bring the rows changed by agent "ai_bot" within 1h to more than 10000 (agentguard.budget_rows' <<<"$first" ||
    ag_fail "the 12th chunk was not stopped by the budget: $first"
[[ "$(grep -c '^ERROR:  ZG001' <<<"$out3")" == 1 ]] || ag_fail "expected exactly one budget refusal: $out3"
[[ "$(grep -c '^ERROR:  ZG002' <<<"$out3")" == 88 ]] || ag_fail "expected 88 breaker refusals: $(grep -c '^ERROR:  ZG002' <<<"$out3")"
left="$(ag_psql main -U ai_bot -Atc 'SELECT count(*) FROM public.big')"
[[ "$left" == 90100 ]] || ag_fail "expected 11 chunks deleted and nothing of the 12th (90100 rows left), found $left"

view="$(ag_psql main -U alice -Atc "SELECT state, rows_in_window FROM agentguard.breakers WHERE role = 'ai_bot'::regrole")"
[[ "$view" == "open|9900" ]] || ag_fail "unexpected breakers row: $view"
wait "$listener" || true
grep -q 'Asynchronous notification "agentguard" with payload "{"type":"breaker"' "$listen_out" ||
    ag_fail "no breaker NOTIFY: $(cat "$listen_out")"
for ((i = 0; i < 50; i++)); do
    n="$(ag_psql main -Atc "SELECT count(*) FROM agentguard.audit_log WHERE decision = 'breaker'")"
    [[ "$n" == 1 ]] && break
    sleep 0.1
done
[[ "$n" == 1 ]] || ag_fail "expected one breaker audit row, found $n"

# A human is never affected; the agent's reads work; a reset restores its writes.
ag_psql main -q -c 'DELETE FROM public.big WHERE id IN (SELECT id FROM public.big ORDER BY id LIMIT 5000)'
[[ "$(ag_psql main -U ai_bot -Atc 'SELECT count(*) FROM public.big')" == 85100 ]] || ag_fail "reads or the human's delete"
[[ "$(ag_psql main -U alice -Atc "SELECT agentguard.reset_breaker('ai_bot')")" == t ]] || ag_fail "reset"
o="$(chunks 1 | ag_psql main -U ai_bot -v ON_ERROR_STOP=1 2>&1)" || ag_fail "writes not restored after reset: $o"
[[ "$(ag_psql main -U alice -Atc "SELECT state || '/' || rows_in_window FROM agentguard.breakers WHERE role = 'ai_bot'::regrole")" == closed/900 ]] ||
    ag_fail "the window did not start afresh at the reset"
echo "PASS"
