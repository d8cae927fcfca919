#!/usr/bin/env bash
#
# Circuit breaker, refusals: an agent that keeps getting refused (6 blocked attempts in a row) trips its
# breaker at the fifth (agentguard.breaker_blocks); from then on its writes and DDL get SQLSTATE ZG002
# naming the reset call, its reads still work, a human is never affected, LISTEN agentguard hears a
# payload of type "breaker" and the audit log has one "breaker" row. reset_breaker() (approvers only)
# restores writes. The window slides (test clock), and an open breaker stays open across a restart.

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
CREATE TABLE public.victim (x int);
INSERT INTO public.victim SELECT g FROM generate_series(1, 10) g;
ALTER TABLE public.victim OWNER TO ai_bot;
SQL

agent() { ag_psql main -U ai_bot -v ON_ERROR_STOP=0 -v VERBOSITY=verbose "$@" 2>&1 || true; }

# A human listens for the breaker's NOTIFY.
listen_out="$AG_RUN_DIR/listen.out"
ag_psql main -q >"$listen_out" 2>&1 <<'SQL' &
LISTEN agentguard;
SELECT pg_sleep(4);
SELECT 1;
SQL
listener=$!
for ((i = 0; i < 50; i++)); do
    [[ "$(ag_psql main -Atc "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(4)%'")" == 1 ]] && break
    sleep 0.1
done

out="$(for i in 1 2 3 4 5 6; do echo 'DROP TABLE public.victim;'; done | agent -q)"
echo "$out" | grep -E '^ERROR' || true
[[ "$(grep -c '^ERROR:  ZG001' <<<"$out")" == 5 ]] || ag_fail "expected 5 ZG001 refusals: $out"
[[ "$(grep -c '^ERROR:  ZG002' <<<"$out")" == 1 ]] || ag_fail "expected the 6th attempt to get ZG002: $out"
grep -q "circuit breaker tripped" <<<"$out" || ag_fail "the fifth refusal did not say the breaker tripped: $out"
grep -q "DROP TABLE refused: the circuit breaker of agent \"ai_bot\" is open" <<<"$out" || ag_fail "no breaker message: $out"
grep -q "HINT:  A human approver closes it with: SELECT agentguard.reset_breaker('ai_bot');" <<<"$out" ||
    ag_fail "the hint does not name the reset call: $out"
grep -q "5 refusals within 1h (agentguard.breaker_blocks)" <<<"$out" || ag_fail "the detail does not say why: $out"

# Every write and DDL is refused; reads work.
for stmt in "INSERT INTO public.victim VALUES (0)" "UPDATE public.victim SET x = x WHERE x = 1" \
    "CREATE TABLE public.t2 (a int)" "WITH d AS (DELETE FROM public.victim WHERE x = 2 RETURNING 1) SELECT 1" \
    "DO \$\$BEGIN DELETE FROM public.victim WHERE x = 3; END\$\$"; do
    o="$(agent -c "$stmt")"
    grep -q '^ERROR:  ZG002' <<<"$o" || ag_fail "not refused while open: $stmt: $o"
done
[[ "$(ag_psql main -U ai_bot -Atc 'SELECT count(*) FROM public.victim')" == 10 ]] || ag_fail "reads do not work while open"

# The view, the audit row, the NOTIFY.
view="$(ag_psql main -U alice -Atc "SELECT state, refusals_in_window, reason FROM agentguard.breakers WHERE role = 'ai_bot'::regrole")"
echo "view: $view"
[[ "$view" == "open|5|5 refusals within 1h (agentguard.breaker_blocks)" ]] || ag_fail "unexpected view row: $view"
for ((i = 0; i < 50; i++)); do
    n="$(ag_psql main -Atc "SELECT count(*) FROM agentguard.audit_log WHERE decision = 'breaker'")"
    [[ "$n" == 1 ]] && break
    sleep 0.1
done
[[ "$n" == 1 ]] || ag_fail "expected one audit row of decision breaker, found $n"
wait "$listener" || true
line="$(grep 'Asynchronous notification "agentguard" with payload "{\\\?"type\\\?":\\\?"breaker' "$listen_out" || true)"
[[ -n "$line" ]] || ag_fail "LISTEN agentguard heard no breaker payload: $(cat "$listen_out")"
payload="$(sed -n 's/.*with payload "\(.*\)" received from server process.*/\1/p' <<<"$line")"
echo "payload: $payload"
[[ "$(ag_psql main -Atc "SELECT p->>'agent' = 'ai_bot' AND p->>'state' = 'open' AND p->>'reset' LIKE '%reset_breaker%'
                         FROM (SELECT \$\$${payload}\$\$::jsonb AS p) s")" == t ]] || ag_fail "unexpected payload: $payload"

# A human is never affected.
ag_psql main -q -c "INSERT INTO public.victim VALUES (11); DELETE FROM public.victim WHERE x = 11; CREATE TABLE public.human_t (a int)"

# Agents cannot reset (nor trip) breakers; approvers can.
o="$(agent -c "SELECT agentguard.reset_breaker('ai_bot')")"
grep -q '^ERROR' <<<"$o" || ag_fail "an agent reset its own breaker: $o"
[[ "$(ag_psql main -U alice -Atc "SELECT agentguard.reset_breaker('ai_bot')")" == t ]] || ag_fail "reset_breaker did not report an open breaker"
o="$(agent -c "INSERT INTO public.victim VALUES (12)")"
grep -q '^INSERT 0 1' <<<"$o" || ag_fail "writes not restored after reset: $o"
[[ "$(ag_psql main -Atc "SELECT count(*) FROM agentguard.audit_log WHERE decision = 'reset_breaker' AND objects = '{ai_bot}'")" == 1 ]] ||
    ag_fail "reset_breaker was not audited"

# The window slides: 4 refusals, two hours later 4 more: never 5 within one hour.
for i in 1 2 3 4; do echo 'DROP TABLE public.victim;'; done | agent -q >/dev/null
ag_psql main -Atc "SELECT agentguard._breaker_clock_advance('2 hours')" >/dev/null
o="$(agent -c "SELECT agentguard._breaker_clock_advance('2 hours')")"
grep -q '^ERROR' <<<"$o" || ag_fail "an agent moved the clock: $o"
out="$(for i in 1 2 3 4; do echo 'DROP TABLE public.victim;'; done | agent -q)"
grep -q 'ZG002' <<<"$out" && ag_fail "tripped although the earlier refusals left the window: $out"
[[ "$(ag_psql main -Atc "SELECT state || '/' || refusals_in_window FROM agentguard.breakers WHERE role = 'ai_bot'::regrole")" == closed/4 ]] ||
    ag_fail "expected closed/4 after the window slid"

# A human's big red button, audited, and kept across a restart.
[[ "$(ag_psql main -U alice -Atc "SELECT agentguard.trip_breaker('ai_bot', 'runaway job')")" == t ]] || ag_fail "trip_breaker"
o="$(agent -c "DELETE FROM public.victim WHERE x = 1")"
grep -q 'tripped by alice: runaway job' <<<"$o" || ag_fail "the refusal does not name the human's reason: $o"
ag_cluster_restart main
o="$(agent -c "DELETE FROM public.victim WHERE x = 1")"
grep -q '^ERROR:  ZG002' <<<"$o" || ag_fail "the breaker closed itself across a restart: $o"
[[ "$(ag_psql main -Atc "SELECT count(*) FROM agentguard.audit_log WHERE decision = 'trip_breaker'")" == 1 ]] || ag_fail "trip_breaker not audited"
echo "PASS"
