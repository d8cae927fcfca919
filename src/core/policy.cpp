// Policy decisions: the action for a guarded session and the row limit of a DML statement.
// See policy.hpp for the contract.
#include "core/policy.hpp"

#include <cmath>
#include <limits>

namespace agentguard {

namespace {

constexpr int64_t kNoLimit = std::numeric_limits<int64_t>::max();

Action decide_destructive(const Facts& facts)
{
    if (facts.mode == Mode::Off)
        return Action::Allow;
    if (facts.only_temp_objects && facts.allow_temp_drops)
        return Action::AllowTemp;
    if (facts.token_valid)
        return Action::Approved;
    if (facts.mode == Mode::Warn)
        return Action::Warn;
    return Action::Block;
}

int64_t absolute_limit(const RowLimits& limits)
{
    return limits.max_rows < 0 ? kNoLimit : limits.max_rows;
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
        return kNoLimit;
    const double nearest = std::nearbyint(x);
    if (std::fabs(x - nearest) <= 1e-9 * std::fmax(1.0, x))
        x = nearest;
    return static_cast<int64_t>(std::floor(x));
}

}  // namespace

Action decide(const Facts& facts)
{
    switch (facts.cls) {
    case StatementClass::Harmless:
        return Action::Allow;
    case StatementClass::DestructiveDdl:
    case StatementClass::DestructiveDml:
        return decide_destructive(facts);
    case StatementClass::SelfProtection:
        return Action::Block;
    }
    return Action::Block;  // a value outside the enum: fail closed
}

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

}  // namespace agentguard
