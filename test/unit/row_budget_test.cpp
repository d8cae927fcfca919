// Unit tests of the row-budget arithmetic (core/row_budget.hpp): thresholds, their origin, counted
// rows and the budget that lets the guard skip counting.
#include "core/row_budget.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace agentguard {
namespace {

RowLimits limits(int64_t max_rows, double fraction, int64_t min_rows)
{
    RowLimits l;
    l.max_rows = max_rows;
    l.max_fraction = fraction;
    l.fraction_min_rows = min_rows;
    return l;
}

TEST(RowBudget, ThresholdWithoutSizeIsTheSmallTableLimit)
{
    EXPECT_EQ(row_threshold_without_size(RowLimits{}), 100);
    EXPECT_EQ(row_threshold_without_size(limits(50, 0.01, 100)), 50);
    EXPECT_EQ(row_threshold_without_size(limits(-1, 1.0, 100)), kNoRowLimit);
    EXPECT_EQ(row_threshold_without_size(limits(-1, 0.01, -5)), 0);
}

TEST(RowBudget, SizeOnlyRaisesTheThreshold)
{
    const RowLimits l = RowLimits{};
    for (double rows : {0.0, 10.0, 5000.0, 20000.0, 1e6, 1e12})
        EXPECT_GE(row_threshold(l, rows), row_threshold_without_size(l)) << rows;
    EXPECT_EQ(row_threshold(l, 20000), 200);
    EXPECT_EQ(row_threshold(l, 1e12), 1000);
}

TEST(RowBudget, NanFractionIsTheStrictest)
{
    EXPECT_EQ(row_threshold(limits(1000, std::nan(""), 100), 1e6), 100);
}

TEST(RowBudget, LimitOriginNamesTheSetting)
{
    const RowLimits l = RowLimits{};
    EXPECT_EQ(limit_origin(l, 1000), LimitOrigin::MaxRows);
    EXPECT_EQ(limit_origin(l, 100), LimitOrigin::FractionMinRows);
    EXPECT_EQ(limit_origin(l, 250), LimitOrigin::Fraction);
}

TEST(RowBudget, RowsChangedIsNeverNegative)
{
    EXPECT_EQ(rows_changed(10, 4, 0), 6);
    EXPECT_EQ(rows_changed(3, 4, 0), 0);  // a subtransaction rolled back below the baseline
    EXPECT_EQ(rows_changed(3, 4, 7), 7);
    EXPECT_EQ(rows_changed(0, 0, -3), 0);  // nothing carried is nothing
    EXPECT_EQ(rows_changed(kNoRowLimit, 0, 5), kNoRowLimit);
}

TEST(RowBudget, SpendingCountsDown)
{
    int64_t b = 2;
    EXPECT_TRUE(budget_spend(b));
    EXPECT_TRUE(budget_spend(b));
    EXPECT_EQ(b, 0);
    EXPECT_FALSE(budget_spend(b));
    EXPECT_EQ(b, 0);
    int64_t none = -1;
    EXPECT_FALSE(budget_spend(none));
}

TEST(RowBudget, UnlimitedBudgetNeverRunsOut)
{
    int64_t b = kNoRowLimit;
    for (int i = 0; i < 1000; i++)
        EXPECT_TRUE(budget_spend(b));
    EXPECT_EQ(b, kNoRowLimit);
}

TEST(RowBudget, RefillAfterACount)
{
    EXPECT_EQ(budget_after_count(0, 100), 100);
    EXPECT_EQ(budget_after_count(60, 100), 40);
    EXPECT_EQ(budget_after_count(100, 100), 0);
    EXPECT_EQ(budget_after_count(150, 100), 0);
    EXPECT_EQ(budget_after_count(5, kNoRowLimit), kNoRowLimit);
    EXPECT_FALSE(over_threshold(100, 100));
    EXPECT_TRUE(over_threshold(101, 100));
}

TEST(RowBudget, SizeIsNeededOnlyAboveTheUnsizedThreshold)
{
    EXPECT_FALSE(needs_table_size(100, 100, false));
    EXPECT_TRUE(needs_table_size(101, 100, false));
    EXPECT_FALSE(needs_table_size(101, 100, true));
}

// The guard stops a statement at the first fetch after the one that crossed the limit: with a
// threshold of T, a ModifyTable whose every fetch changes one row is stopped at fetch T + 2, having
// changed T + 1 rows; never earlier.
TEST(RowBudget, BudgetStopsRightAfterCrossing)
{
    const int64_t threshold = 100;
    int64_t budget = threshold;
    int64_t changed = 0;
    int64_t fetch = 0;
    bool stopped = false;
    while (!stopped && fetch < 1000) {
        fetch++;
        if (!budget_spend(budget)) {
            if (over_threshold(changed, threshold)) {
                stopped = true;
                break;
            }
            budget = budget_after_count(changed, threshold);
            budget_spend(budget);
        }
        changed++;
    }
    EXPECT_TRUE(stopped);
    EXPECT_EQ(changed, threshold + 1);
    EXPECT_EQ(fetch, threshold + 2);
}

}  // namespace
}  // namespace agentguard
