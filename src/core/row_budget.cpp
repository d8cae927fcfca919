// Row limits and row budgets. See row_budget.hpp for the contract.
#include "core/row_budget.hpp"

#include <cmath>

namespace agentguard {

namespace {

int64_t absolute_limit(const RowLimits& limits)
{
    return limits.max_rows < 0 ? kNoRowLimit : limits.max_rows;
}

// NaN compares false everywhere; it must mean the strictest fraction, not none.
bool fraction_limits(const RowLimits& limits)
{
    return !(limits.max_fraction >= 1.0);
}

// floor(max_fraction * rows), as the count n must exceed it. The product is snapped to a whole
// number when it is one but for rounding (0.29 * 100 is 28.999999999999996 in binary floating
// point), or 29 rows of 100 would be blocked at max_fraction = 0.29.
int64_t fraction_rows(double fraction, double rows)
{
    if (!(fraction > 0.0) || !(rows > 0.0))
        return 0;
    double x = fraction * rows;
    if (!(x < 9.0e18))
        return kNoRowLimit;
    const double nearest = std::nearbyint(x);
    if (std::fabs(x - nearest) <= 1e-9 * std::fmax(1.0, x))
        x = nearest;
    return static_cast<int64_t>(std::floor(x));
}

}  // namespace

int64_t row_threshold(const RowLimits& limits, double table_rows)
{
    const int64_t absolute = absolute_limit(limits);
    if (!fraction_limits(limits))
        return absolute;
    // Blocked iff n > fraction_min_rows and n > fraction * rows, i.e. n > the larger of the two.
    const int64_t floor_rows = limits.fraction_min_rows < 0 ? 0 : limits.fraction_min_rows;
    const int64_t by_fraction = fraction_rows(limits.max_fraction, table_rows);
    const int64_t relative = by_fraction > floor_rows ? by_fraction : floor_rows;
    return relative < absolute ? relative : absolute;
}

int64_t row_threshold_without_size(const RowLimits& limits)
{
    // A larger table can only raise the fraction part above fraction_min_rows, never lower it.
    return row_threshold(limits, 0.0);
}

LimitOrigin limit_origin(const RowLimits& limits, int64_t threshold)
{
    if (threshold == limits.max_rows)
        return LimitOrigin::MaxRows;
    if (threshold == limits.fraction_min_rows)
        return LimitOrigin::FractionMinRows;
    return LimitOrigin::Fraction;
}

int64_t rows_changed(int64_t counter_now, int64_t baseline, int64_t carried) noexcept
{
    int64_t d = counter_now > baseline ? counter_now - baseline : 0;
    if (carried > 0 && d > kNoRowLimit - carried)
        return kNoRowLimit;
    return d + (carried > 0 ? carried : 0);
}

}  // namespace agentguard
