// Micro-benchmark of statement normalisation, which runs on every token check.
#include <benchmark/benchmark.h>

#include <string>

#include "core/text.hpp"

namespace {

const std::string kShort =
    "DELETE FROM public.orders  -- stale rows\n"
    "WHERE created_at < now() - interval '90 days'\n"
    "  AND status IN ('cancelled', 'expired') /* keep open ones */\n"
    "  AND customer_id = $1 AND note <> E'it\\'s done' AND id > 1000 ;";

std::string big_statement()
{
    std::string sql = "DELETE FROM t WHERE id IN (";
    while (sql.size() < (1u << 20))
        sql += "1, /* c */ 'a b',  $$x y$$,\n";
    sql += "0);";
    return sql;
}

void normalize_short(benchmark::State& state)
{
    for (auto _ : state)
        benchmark::DoNotOptimize(agentguard::normalize_statement(kShort));
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kShort.size()));
}

void normalize_1mb(benchmark::State& state)
{
    const std::string sql = big_statement();
    for (auto _ : state)
        benchmark::DoNotOptimize(agentguard::normalize_statement(sql));
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * sql.size()));
}

}  // namespace

BENCHMARK(normalize_short);
BENCHMARK(normalize_1mb)->Unit(benchmark::kMillisecond);
