#!/usr/bin/env bash
#
# The benchmark command still works: scripts/bench.sh --smoke runs every measurement at tiny sizes and
# fails when one of them produced no number (callgrind per statement, pgbench base/guard/agent/pgaudit,
# the early stop, the audit rate). It judges no speed.

set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
if ! out="$(bash scripts/bench.sh --smoke 2>&1)"; then
    printf '%s\n' "$out" | tail -n 60
    echo "FAIL: scripts/bench.sh --smoke did not produce every measurement" >&2
    exit 1
fi
printf '%s\n' "$out" | sed -n '/^pg_agentguard benchmark/,$p'
