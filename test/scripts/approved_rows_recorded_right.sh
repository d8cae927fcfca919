#!/usr/bin/env bash
#
# Finding 2 of the DBA evaluation: statements that changed 599, 1,999 and 2,000 rows under an approval
# were recorded with rows_affected 501, 201, 201 (the limit + 1), and request_id was NULL on every
# approved row. Now approved and warned rows carry the real count, and approved rows the request id
# and token id.

set -euo pipefail
# shellcheck source=test/lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"

ag_cluster_start main
ag_psql main -q <<'SQL'
CREATE EXTENSION pg_agentguard;
CREATE ROLE rr_bot LOGIN;
GRANT agentguard_agent TO rr_bot;
ALTER ROLE rr_bot SET agentguard.max_rows = 500;
ALTER ROLE rr_bot SET agentguard.max_fraction = 1;
CREATE ROLE rr_warn LOGIN;
GRANT agentguard_agent TO rr_warn;
ALTER ROLE rr_warn SET agentguard.max_rows = 200;
ALTER ROLE rr_warn SET agentguard.max_fraction = 1;
ALTER ROLE rr_warn SET agentguard.mode = 'warn';
CREATE TABLE public.t (id int);
INSERT INTO public.t SELECT g FROM generate_series(1, 5000) g;
ALTER TABLE public.t OWNER TO rr_bot;
GRANT ALL ON public.t TO rr_warn;
CREATE TABLE public.d (id int);
ALTER TABLE public.d OWNER TO rr_bot;
SQL

wait_request() {
    local i
    for ((i = 0; i < 100; i++)); do
        [[ "$(ag_psql main -Atc "SELECT count(*) FROM agentguard.requests WHERE id = $1")" == 1 ]] && return 0
        sleep 0.1
    done
    ag_fail "request $1 was not recorded"
}

approved_run() { # statement: blocked, approved, run in the pooler-safe form; prints "request token"
    local stmt="$1" out rid tok
    out="$(ag_psql main -U rr_bot -Atc "$stmt" 2>&1 || true)"
    rid="$(sed -n 's/.*Request id: \([0-9][0-9]*\)\..*/\1/p' <<<"$out" | head -n1)"
    [[ -n "$rid" ]] || ag_fail "not blocked with a request id: $stmt: $out"
    wait_request "$rid"
    tok="$(ag_psql main -Atc "SELECT agentguard.approve($rid)")"
    out="$(ag_psql main -U rr_bot -Atc "BEGIN; SET LOCAL agentguard.token = '$tok'; $stmt; COMMIT;" 2>&1)" ||
        ag_fail "the approved statement failed: $out"
    echo "$rid $(cut -d_ -f2 <<<"$tok")"
}

read -r r1 t1 < <(approved_run 'DELETE FROM public.t WHERE id <= 599')
read -r r2 t2 < <(approved_run 'DELETE FROM public.t WHERE id > 599 AND id <= 2598')
read -r r3 t3 < <(approved_run 'UPDATE public.t SET id = -id WHERE id > 2598 AND id <= 4598')
read -r r4 t4 < <(approved_run 'DROP TABLE public.d')
out="$(ag_psql main -U rr_warn -Atc 'DELETE FROM public.t WHERE id < 0' 2>&1)" || ag_fail "warned DELETE failed: $out"

for ((i = 0; i < 100; i++)); do
    [[ "$(ag_psql main -Atc "SELECT count(*) FROM agentguard.audit_log WHERE decision IN ('approved', 'warned')")" -ge 5 ]] && break
    sleep 0.1
done
got="$(ag_psql main -At -F'|' -c "SELECT decision, command, coalesce(rows_affected::text, '-'), request_id, token_id
                                   FROM agentguard.audit_log WHERE decision IN ('approved', 'warned') ORDER BY id")"
echo "$got"
expected="approved|DELETE|599|$r1|$t1
approved|DELETE|1999|$r2|$t2
approved|UPDATE|2000|$r3|$t3
approved|DROP TABLE|-|$r4|$t4
warned|DELETE|2000||"
[[ "$got" == "$expected" ]] || ag_fail "approved/warned rows recorded wrong; expected:
$expected"
echo "PASS"
