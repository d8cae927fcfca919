// Row limits and row budgets of the blast-radius guard: how many rows one statement may change in one
// table, and the arithmetic of counting them cheaply.
//
// Pure C++17, no Postgres header, no exceptions. The glue (src/pg/row_guard.cpp) reads PostgreSQL's
// per-table counters and the settings and asks here what they mean.
#pragma once

#include <cstdint>
#include <limits>

namespace agentguard {

// A threshold or budget that never runs out.
constexpr int64_t kNoRowLimit = std::numeric_limits<int64_t>::max();

struct RowLimits {
    int64_t max_rows = 1000;          // agentguard.max_rows; < 0 means no absolute limit
    double max_fraction = 0.01;       // agentguard.max_fraction, 0..1; >= 1 means no fraction limit
    int64_t fraction_min_rows = 100;  // agentguard.fraction_min_rows
};

// The most rows one statement may change in a table of about table_rows rows (table_rows < 0: unknown,
// treated as 0, so only fraction_min_rows and max_rows apply). A statement is stopped when its count
// goes above this number. Blocked iff n > max_rows, or n > fraction_min_rows and n > max_fraction * rows.
// Returns kNoRowLimit when nothing limits. max_fraction * rows is rounded down, after snapping a product
// that is a whole number but for floating-point error (0.29 * 100 counts as 29). Out-of-range settings
// fail closed: a negative or NaN max_fraction acts as 0, a negative fraction_min_rows as 0.
int64_t row_threshold(const RowLimits& limits, double table_rows);

// The threshold as it stands before the table size is known: the table size matters only once more
// than fraction_min_rows rows changed, so the glue may postpone sizing the table until then.
int64_t row_threshold_without_size(const RowLimits& limits);

// Which of the limits a threshold is, for telling the agent what stopped it.
enum class LimitOrigin {
    MaxRows = 0,          // agentguard.max_rows
    FractionMinRows = 1,  // agentguard.fraction_min_rows (the fraction of a small table is lower)
    Fraction = 2,         // agentguard.max_fraction of the table's size
};
LimitOrigin limit_origin(const RowLimits& limits, int64_t threshold);

// Rows one table changed in the statement so far: PostgreSQL's changed-row sum now, minus the sum when
// the statement first touched it (never negative: a rolled-back subtransaction takes rows back out),
// plus rows committed meanwhile by a procedure's own COMMIT. Saturates instead of overflowing.
int64_t rows_changed(int64_t counter_now, int64_t baseline, int64_t carried) noexcept;

// The budget of a target table: each input row of a ModifyTable changes at most one row of its target,
// so after an exact count n the table may fetch threshold - n more input rows before it must be counted
// again. Spending is one fetch; an empty budget means "count exactly now". kNoRowLimit never runs out.
inline bool budget_spend(int64_t& budget) noexcept
{
    if (budget <= 0)
        return false;
    if (budget != kNoRowLimit)
        --budget;
    return true;
}

// After an exact count: whether the table is over its threshold, and else the refilled budget.
inline bool over_threshold(int64_t counted, int64_t threshold) noexcept
{
    return counted > threshold;
}

inline int64_t budget_after_count(int64_t counted, int64_t threshold) noexcept
{
    if (threshold == kNoRowLimit)
        return kNoRowLimit;
    return counted >= threshold ? 0 : threshold - counted;
}

// A count above the size-independent threshold needs the table's size before it can be judged (the
// fraction may allow more in a big table); a count at or below it never does.
inline bool needs_table_size(int64_t counted, int64_t threshold, bool sized) noexcept
{
    return !sized && counted > threshold;
}

}  // namespace agentguard
