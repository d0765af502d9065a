// --where parsing, metric directions, best run and Pareto front.
#include "results/selection.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "core/errors.h"

namespace hwnas::results {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

RunSummary MakeRun(int64_t id, SummaryValues values) {
  RunSummary summary;
  summary.run.id = id;
  summary.values = std::move(values);
  return summary;
}

TEST(SelectionTest, ParsesWhereConditions) {
  auto conditions = ParseWhere("latency_ms<=2 and accuracy > 0.8, flops<3e8 AND x!=1");
  ASSERT_EQ(conditions.size(), 4u);
  EXPECT_EQ(conditions[0].name, "latency_ms");
  EXPECT_EQ(conditions[0].op, CompareOp::kLessEqual);
  EXPECT_EQ(conditions[0].value, 2);
  EXPECT_EQ(conditions[1].op, CompareOp::kGreater);
  EXPECT_EQ(conditions[2].value, 3e8);
  EXPECT_EQ(conditions[3].op, CompareOp::kNotEqual);
  EXPECT_TRUE(ParseWhere("").empty());
  EXPECT_TRUE(ParseWhere("  ").empty());
  EXPECT_EQ(ParseWhere("a==-1.5")[0].value, -1.5);
}

TEST(SelectionTest, RejectsMalformedWhereShowingTheBadPart) {
  for (const char* bad : {"accuracy >> 0.8", "latency_ms<=2 and accuracy", "accuracy > high",
                          "a<1,", "a<1 or b>2", "= 3", "a<1,,b<2", "a<inf"}) {
    try {
      ParseWhere(bad);
      FAIL() << "accepted " << bad;
    } catch (const UsageError& e) {
      EXPECT_THAT(e.what(), HasSubstr("bad --where condition")) << bad;
      EXPECT_THAT(e.what(), HasSubstr("NAME OP NUMBER")) << bad;
    }
  }
  try {
    ParseWhere("latency_ms<=2 and accuracy >> 0.8");
  } catch (const UsageError& e) {
    EXPECT_THAT(e.what(), HasSubstr("'accuracy >> 0.8'"));
  }
}

TEST(SelectionTest, SatisfiesNeedsEveryValue) {
  SummaryValues values = {{"accuracy", 0.9}, {"latency_ms", 2.0}, {"bad", std::nan("")}};
  EXPECT_TRUE(Satisfies(values, ParseWhere("accuracy>0.8 and latency_ms<=2")));
  EXPECT_FALSE(Satisfies(values, ParseWhere("accuracy>0.8 and latency_ms<2")));
  EXPECT_FALSE(Satisfies(values, ParseWhere("flops<1")));  // missing
  EXPECT_FALSE(Satisfies(values, ParseWhere("bad!=1")));   // NaN satisfies nothing
  EXPECT_TRUE(Satisfies(values, {}));
}

TEST(SelectionTest, DefaultDirections) {
  for (const char* name : {"latency_ms", "train_loss", "flops", "params", "size_bits", "top1_error",
                           "epoch_seconds", "data_wait_fraction"}) {
    EXPECT_TRUE(MinimizeByDefault(name)) << name;
  }
  for (const char* name : {"accuracy", "test_accuracy", "reward", "images_per_second"}) {
    EXPECT_FALSE(MinimizeByDefault(name)) << name;
  }
}

TEST(SelectionTest, FindsTheBestRun) {
  std::vector<RunSummary> runs = {MakeRun(3, {{"accuracy", 0.9}, {"latency_ms", 3}}),
                                  MakeRun(2, {{"accuracy", 0.95}, {"latency_ms", 5}}),
                                  MakeRun(1, {{"accuracy", 0.95}}),
                                  MakeRun(4, {{"accuracy", std::nan("")}, {"latency_ms", 1}})};
  EXPECT_EQ(FindBest(runs, "accuracy", false), 2u);  // tie with run 2 goes to the older run
  EXPECT_EQ(FindBest(runs, "accuracy", true), 0u);
  EXPECT_EQ(FindBest(runs, "latency_ms", true), 3u);
  EXPECT_FALSE(FindBest(runs, "flops", true).has_value());
  EXPECT_FALSE(FindBest({}, "accuracy", true).has_value());
}

TEST(SelectionTest, ParetoFrontKeepsTheNonDominatedRunsSortedByX) {
  std::vector<RunSummary> runs = {
      MakeRun(1, {{"latency_ms", 2}, {"accuracy", 0.90}}),
      MakeRun(2, {{"latency_ms", 1}, {"accuracy", 0.80}}),
      MakeRun(3, {{"latency_ms", 3}, {"accuracy", 0.85}}),  // dominated by 1
      MakeRun(4, {{"latency_ms", 4}, {"accuracy", 0.95}}),
      MakeRun(5, {{"latency_ms", 2}, {"accuracy", 0.90}}),  // equal to 1: both kept
      MakeRun(6, {{"latency_ms", 1}, {"accuracy", 0.70}}),  // dominated by 2 (same x)
      MakeRun(7, {{"accuracy", 0.99}}),                     // no latency
      MakeRun(8, {{"latency_ms", 5}, {"accuracy", 0.95}}),  // dominated by 4 (same y)
  };
  std::vector<int64_t> ids;
  for (size_t i : ParetoFront(runs, "latency_ms", "accuracy")) ids.push_back(runs[i].run.id);
  EXPECT_THAT(ids, ElementsAre(2, 1, 5, 4));
  EXPECT_TRUE(ParetoFront(runs, "flops", "accuracy").empty());
  EXPECT_THAT(SummaryNames(runs), ElementsAre("accuracy", "latency_ms"));
}

}  // namespace
}  // namespace hwnas::results
