// decide() and the row thresholds.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>

#include "core/policy.hpp"

namespace agentguard {
namespace {

constexpr int64_t kNoLimit = std::numeric_limits<int64_t>::max();

Facts facts(StatementClass cls, Mode mode, bool only_temp = false, bool allow_temp = true, bool token = false)
{
    Facts f;
    f.cls = cls;
    f.mode = mode;
    f.only_temp_objects = only_temp;
    f.allow_temp_drops = allow_temp;
    f.token_valid = token;
    return f;
}

TEST(Decide, DefaultFactsAreHarmless)
{
    EXPECT_EQ(decide(Facts{}), Action::Allow);
}

TEST(Decide, HarmlessIsAlwaysAllowed)
{
    for (Mode mode : {Mode::Off, Mode::Warn, Mode::Enforce}) {
        EXPECT_EQ(decide(facts(StatementClass::Harmless, mode)), Action::Allow);
        EXPECT_EQ(decide(facts(StatementClass::Harmless, mode, true, true, true)), Action::Allow);
    }
}

TEST(Decide, SelfProtectionIsAlwaysBlocked)
{
    for (Mode mode : {Mode::Off, Mode::Warn, Mode::Enforce}) {
        EXPECT_EQ(decide(facts(StatementClass::SelfProtection, mode)), Action::Block);
        EXPECT_EQ(decide(facts(StatementClass::SelfProtection, mode, true, true, true)), Action::Block);
        EXPECT_EQ(decide(facts(StatementClass::SelfProtection, mode, false, false, true)), Action::Block);
    }
}

class DecideDestructive : public ::testing::TestWithParam<StatementClass> {};

TEST_P(DecideDestructive, Table)
{
    const StatementClass cls = GetParam();
    // mode off: everything runs, nothing is recorded
    EXPECT_EQ(decide(facts(cls, Mode::Off)), Action::Allow);
    EXPECT_EQ(decide(facts(cls, Mode::Off, true, true, true)), Action::Allow);
    // temporary objects of the session, when allowed
    EXPECT_EQ(decide(facts(cls, Mode::Enforce, true, true)), Action::AllowTemp);
    EXPECT_EQ(decide(facts(cls, Mode::Enforce, true, true, true)), Action::AllowTemp);
    EXPECT_EQ(decide(facts(cls, Mode::Warn, true, true)), Action::AllowTemp);
    EXPECT_EQ(decide(facts(cls, Mode::Enforce, true, false)), Action::Block);
    EXPECT_EQ(decide(facts(cls, Mode::Enforce, false, true)), Action::Block);
    // a valid token
    EXPECT_EQ(decide(facts(cls, Mode::Enforce, false, true, true)), Action::Approved);
    EXPECT_EQ(decide(facts(cls, Mode::Enforce, true, false, true)), Action::Approved);
    EXPECT_EQ(decide(facts(cls, Mode::Warn, false, true, true)), Action::Approved);
    // warn and enforce without a token
    EXPECT_EQ(decide(facts(cls, Mode::Warn)), Action::Warn);
    EXPECT_EQ(decide(facts(cls, Mode::Warn, true, false)), Action::Warn);
    EXPECT_EQ(decide(facts(cls, Mode::Enforce)), Action::Block);
    EXPECT_EQ(decide(facts(cls, Mode::Enforce, false, false)), Action::Block);
}

INSTANTIATE_TEST_SUITE_P(BothClasses, DecideDestructive,
                         ::testing::Values(StatementClass::DestructiveDdl, StatementClass::DestructiveDml));

TEST(Decide, OutOfRangeValuesFailClosed)
{
    EXPECT_EQ(decide(facts(static_cast<StatementClass>(42), Mode::Off)), Action::Block);
    EXPECT_EQ(decide(facts(StatementClass::DestructiveDdl, static_cast<Mode>(9))), Action::Block);
}

bool blocked(int64_t n, const RowLimits& limits, double table_rows)
{
    return n > row_threshold(limits, table_rows);
}

RowLimits limits(int64_t max_rows, double max_fraction, int64_t fraction_min_rows)
{
    RowLimits l;
    l.max_rows = max_rows;
    l.max_fraction = max_fraction;
    l.fraction_min_rows = fraction_min_rows;
    return l;
}

TEST(RowThreshold, DefaultsAreTheDocumentedSettings)
{
    const RowLimits l;
    EXPECT_EQ(l.max_rows, 1000);
    EXPECT_EQ(l.max_fraction, 0.01);
    EXPECT_EQ(l.fraction_min_rows, 100);
}

TEST(RowThreshold, ExactlyMaxRowsAllowedOneMoreBlocked)
{
    const RowLimits l = limits(1000, 1.0, 100);
    EXPECT_EQ(row_threshold(l, 1e9), 1000);
    EXPECT_FALSE(blocked(1000, l, 1e9));
    EXPECT_TRUE(blocked(1001, l, 1e9));
    // The fraction cannot raise the limit above max_rows.
    EXPECT_EQ(row_threshold(RowLimits{}, 1e6), 1000);
}

TEST(RowThreshold, FractionBoundary)
{
    const RowLimits l;  // 1000 rows, 1 %, from 100 rows on
    EXPECT_EQ(row_threshold(l, 50000), 500);
    EXPECT_FALSE(blocked(500, l, 50000));
    EXPECT_TRUE(blocked(501, l, 50000));
    EXPECT_EQ(row_threshold(l, 12345), 123);
    EXPECT_FALSE(blocked(123, l, 12345));
    EXPECT_TRUE(blocked(124, l, 12345));
}

TEST(RowThreshold, FractionThatIsWholeButForRounding)
{
    // 0.29 * 100 is 28.999999999999996 in binary; 29 rows are exactly 29 % and allowed.
    const RowLimits l = limits(-1, 0.29, 0);
    EXPECT_EQ(row_threshold(l, 100), 29);
    EXPECT_EQ(row_threshold(l, 1000), 290);
    EXPECT_EQ(row_threshold(limits(-1, 0.07, 0), 100), 7);
    EXPECT_EQ(row_threshold(limits(-1, 0.5, 0), 3), 1);
}

TEST(RowThreshold, FractionMinRowsIsAFloor)
{
    const RowLimits l;
    EXPECT_EQ(row_threshold(l, 5000), 100);  // 1 % would be 50
    EXPECT_FALSE(blocked(100, l, 5000));
    EXPECT_TRUE(blocked(101, l, 5000));
    EXPECT_EQ(row_threshold(l, 10000), 100);
    EXPECT_EQ(row_threshold(l, 10100), 101);
    EXPECT_EQ(row_threshold(limits(1000, 0.01, 0), 5000), 50);
}

TEST(RowThreshold, NegativeMaxRowsMeansNoAbsoluteLimit)
{
    EXPECT_EQ(row_threshold(limits(-1, 0.01, 100), 1e9), 10000000);
    EXPECT_EQ(row_threshold(limits(-5, 1.0, 100), 1e9), kNoLimit);
    EXPECT_FALSE(blocked(kNoLimit, limits(-1, 1.0, 100), 10));
}

TEST(RowThreshold, FractionOfOneOrMoreMeansNoFractionLimit)
{
    EXPECT_EQ(row_threshold(limits(1000, 1.0, 100), 10), 1000);
    EXPECT_EQ(row_threshold(limits(1000, 1.5, 100), 10), 1000);
    EXPECT_EQ(row_threshold(limits(-1, 1.0, 0), 10), kNoLimit);
}

TEST(RowThreshold, MaxRowsZeroAllowsNothing)
{
    EXPECT_EQ(row_threshold(limits(0, 1.0, 100), 1e6), 0);
    EXPECT_TRUE(blocked(1, limits(0, 1.0, 100), 1e6));
}

TEST(RowThreshold, UnknownTableSizeCountsAsEmpty)
{
    const RowLimits l;
    EXPECT_EQ(row_threshold(l, -1), 100);
    EXPECT_EQ(row_threshold(l, 0), 100);
    EXPECT_EQ(row_threshold(l, std::nan("")), 100);
    EXPECT_EQ(row_threshold(limits(50, 0.01, 100), -1), 50);
}

TEST(RowThreshold, HugeTablesDoNotOverflow)
{
    EXPECT_EQ(row_threshold(limits(-1, 0.5, 100), 1e30), kNoLimit);
    EXPECT_EQ(row_threshold(limits(-1, 0.5, 100), std::numeric_limits<double>::infinity()), kNoLimit);
    EXPECT_EQ(row_threshold(limits(1000, 0.5, 100), 1e30), 1000);
}

TEST(RowThreshold, OutOfRangeSettingsFailClosed)
{
    EXPECT_EQ(row_threshold(limits(-1, 0.0, 100), 1e9), 100);
    EXPECT_EQ(row_threshold(limits(-1, -0.5, 100), 1e9), 100);
    EXPECT_EQ(row_threshold(limits(-1, std::nan(""), 100), 1e9), 100);
    EXPECT_EQ(row_threshold(limits(-1, 0.5, -10), 0), 0);
}

TEST(RowThresholdWithoutSize, OnlyMaxRowsAndTheFloor)
{
    EXPECT_EQ(row_threshold_without_size(RowLimits{}), 100);
    EXPECT_EQ(row_threshold_without_size(limits(50, 0.01, 100)), 50);
    EXPECT_EQ(row_threshold_without_size(limits(-1, 0.01, 100)), 100);
    EXPECT_EQ(row_threshold_without_size(limits(-1, 1.0, 100)), kNoLimit);
    EXPECT_EQ(row_threshold_without_size(limits(1000, 1.0, 100)), 1000);
}

TEST(RowThresholdWithoutSize, NeverAboveTheSizedThreshold)
{
    const RowLimits cases[] = {RowLimits{}, limits(50, 0.01, 100), limits(-1, 0.3, 7), limits(10, 1.0, 0)};
    for (const RowLimits& l : cases)
        for (double rows : {-1.0, 0.0, 10.0, 1e4, 1e9})
            EXPECT_LE(row_threshold_without_size(l), row_threshold(l, rows));
}

}  // namespace
}  // namespace agentguard
