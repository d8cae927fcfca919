#!/usr/bin/env bash
#
# Bad input loses nothing and crashes nothing: an agent's 1 MB destructive statement, one full of
# multi-byte characters and one with a NUL-free but invalid-looking escape are blocked with the guard's
# error, their audit rows arrive (statement cut, not lost), and the server keeps running.

set -euo pipefail
# shellcheck source=test/lib/cluster.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/cluster.sh"

ag_cluster_start main
ag_psql main -q -c 'CREATE EXTENSION pg_agentguard' -c 'CREATE ROLE odd_bot LOGIN' \
    -c 'GRANT agentguard_agent TO odd_bot' -c 'CREATE TABLE public.t (id int, note text)' \
    -c "INSERT INTO public.t SELECT g, 'x' FROM generate_series(1, 10) g" \
    -c 'ALTER TABLE public.t OWNER TO odd_bot'
pid_before="$(ag_cluster_pid main)"

big_comment="$(head -c 1048576 /dev/zero | tr '\0' 'a')"
out="$(printf 'DROP TABLE public.t /* %s */;\n' "$big_comment" | ag_psql main -U odd_bot -v ON_ERROR_STOP=0 2>&1 || true)"
[[ "$out" == *"DROP TABLE on public.t is blocked"* ]] || ag_fail "1 MB DROP not blocked: ${out:0:300}"

ids="$(seq -s, 1 150000)"
out="$(printf 'DELETE FROM public.t WHERE id IN (%s) OR true;\n' "$ids" | ag_psql main -U odd_bot -v ON_ERROR_STOP=0 2>&1 || true)"
[[ "$out" == *"ERROR"* ]] || ag_fail "1 MB unqualified DELETE not refused: ${out:0:300}"

out="$(ag_psql main -U odd_bot -v ON_ERROR_STOP=0 -c "DROP TABLE public.t /* ünïcødé ☃ 𝄞 $(printf '\\x27')E'\\\\' */" 2>&1 || true)"
[[ "$out" == *"is blocked"* ]] || ag_fail "multi-byte DROP not blocked: $out"

[[ "$(ag_psql main -Atc 'SELECT count(*) FROM public.t')" == 10 ]] || ag_fail "rows lost"
for _ in $(seq 1 50); do
    n="$(ag_psql main -Atc "SELECT count(*) FROM agentguard.audit_log WHERE session_role = 'odd_bot'")"
    [[ "$n" -ge 3 ]] && break
    sleep 0.1
done
[[ "$n" -ge 3 ]] || ag_fail "audit rows of the odd statements did not arrive ($n)"
len="$(ag_psql main -Atc "SELECT max(length(statement)) FROM agentguard.audit_log WHERE session_role = 'odd_bot'")"
((len <= 70000)) || ag_fail "recorded statement not cut: $len characters"
[[ "$(ag_cluster_pid main)" == "$pid_before" ]] || ag_fail "the postmaster restarted"
! grep -q "terminated by signal" "$(ag_cluster_log main)" || ag_fail "a backend crashed"
echo ok
