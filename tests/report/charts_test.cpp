// The Vega-Lite spec builders (report/charts.h) and the records read from stored networks
// (report/networks.h): exact data values and the marks each chart declares.
#include <gtest/gtest.h>

#include "report/charts.h"
#include "report/networks.h"
#include "report/sections.h"
#include "tests/report/sample_store.h"

namespace hwnas::report {
namespace {

TEST(ReportChartsTest, ParetoMarksTheFrontOfEachDevice) {
  const Spec spec = ParetoChart({{1, "run 1", "cpu", "searched", 1.0, 0.90},
                                 {2, "run 2", "cpu", "baseline", 2.0, 0.95},
                                 {3, "run 3", "cpu", "searched", 1.5, 0.85},
                                 {4, "run 4", "gpu", "stage", 3.0, 0.80, "estimated"}});
  const Spec& values = spec["data"]["values"];
  ASSERT_EQ(values.size(), 4u);
  EXPECT_EQ(values[0]["front"], true);
  EXPECT_EQ(values[1]["front"], true);
  EXPECT_EQ(values[2]["front"], false);  // slower than run 1 and less accurate
  EXPECT_EQ(values[3]["front"], true);   // alone on its device
  EXPECT_EQ(values[3]["latency_source"], "estimated");
  EXPECT_EQ(spec["layer"][0]["mark"]["type"], "line");
  EXPECT_EQ(spec["layer"][0]["transform"][0]["filter"], "datum.front");
  EXPECT_EQ(spec["layer"][1]["encoding"]["shape"]["field"], "kind");
  EXPECT_EQ(spec["layer"][1]["encoding"]["color"]["field"], "device");
}

TEST(ReportChartsTest, RewardChartCarriesTheBestSoFar) {
  const Spec spec = RewardChart({{0, 0.1}, {1, 0.3}, {2, 0.2}, {3, 0.5}});
  std::vector<double> best;
  for (const auto& v : spec["data"]["values"]) best.push_back(v["best"]);
  EXPECT_EQ(best, (std::vector<double>{0.1, 0.3, 0.3, 0.5}));
  EXPECT_EQ(spec["layer"][1]["mark"]["interpolate"], "step-after");
}

TEST(ReportChartsTest, ValidationChartDrawsYEqualsXOverTheRangeOfBoth) {
  const Spec spec = ValidationChart({{"a", 1.0, 1.1}, {"b", 2.0, 1.8}, {"c", 3.0, 3.3}});
  const Spec& line = spec["layer"][0];
  // From 1.0 to 3.3, widened by 5% of the span (0.115) on both sides, as both axes are.
  EXPECT_DOUBLE_EQ(line["data"]["values"][0]["ms"].get<double>(), 0.885);
  EXPECT_DOUBLE_EQ(line["data"]["values"][1]["ms"].get<double>(), 3.415);
  EXPECT_EQ(spec["layer"][1]["encoding"]["x"]["scale"], spec["layer"][1]["encoding"]["y"]["scale"]);
  EXPECT_DOUBLE_EQ(spec["layer"][1]["encoding"]["x"]["scale"]["domain"][1].get<double>(), 3.415);
  EXPECT_EQ(line["encoding"]["x"]["field"], "ms");
  EXPECT_EQ(line["encoding"]["y"]["field"], "ms");
  EXPECT_EQ(spec["data"]["values"][1]["estimated_ms"], 1.8);
}

TEST(ReportChartsTest, StageTableFormatsEveryCell) {
  StageRow row{0, "search", 5, 0.915, 0.544, 6.93e6, 83000, 8192 * 40.0, 12.5};
  StageRow quantize;
  quantize.index = 1;
  quantize.stage = "quantize";
  const Spec spec = StageTableChart({row, quantize});
  const Spec& values = spec["data"]["values"];
  ASSERT_EQ(values.size(), 14u);  // 7 columns x 2 stages
  std::vector<std::string> first;
  for (size_t i = 0; i < 7; ++i) first.push_back(values[i]["text"]);
  EXPECT_EQ(first,
            (std::vector<std::string>{"5", "91.50%", "0.544", "6.93", "83000", "40.0", "12.5"}));
  EXPECT_EQ(values[0]["stage"], "0 search");
  EXPECT_EQ(values[8]["text"], "-");  // the quantize stage has no accuracy
  EXPECT_EQ(spec["mark"]["type"], "text");
}

TEST(ReportChartsTest, TrainingChartHasAPanelPerQuantityPresent) {
  EXPECT_EQ(TrainingChart({{0, "train_loss", 1.0}}, {{0, "test_accuracy", 0.9}})["hconcat"].size(),
            2u);
  const Spec loss_only = TrainingChart({{0, "train_loss", 1.0}, {1, "train_loss", 0.5}}, {});
  ASSERT_EQ(loss_only["hconcat"].size(), 1u);
  EXPECT_EQ(loss_only["hconcat"][0]["title"], "loss");
  EXPECT_EQ(loss_only["data"]["values"][1]["value"], 0.5);
}

TEST(ReportChartsTest, ExpectedCostDrawsTheTargetOnlyWhenKnown) {
  CostCurve curve{{{1, "expected", 0.3}}, 0.25, "ms"};
  const Spec with = ExpectedCostChart(curve);
  ASSERT_EQ(with["layer"].size(), 2u);
  EXPECT_EQ(with["layer"][1]["encoding"]["y"]["datum"], 0.25);
  curve.target.reset();
  EXPECT_EQ(ExpectedCostChart(curve)["layer"].size(), 1u);
}

TEST(ReportNetworksTest, PreserveRatiosCompareChannelsWithTheSource) {
  const NetSpec source = testing::SampleNet(HWNAS_SOURCE_DIR);
  NetSpec pruned = source;
  pruned.layers[0].out_channels = 4;
  pruned.layers[1].mid_channels = 12;
  std::vector<std::pair<std::string, double>> ratios;
  for (const PolicyBar& bar : PreserveRatios(source, pruned, "best")) {
    EXPECT_EQ(bar.policy, "best");
    ratios.push_back({bar.item, bar.value});
  }
  EXPECT_EQ(ratios, (std::vector<std::pair<std::string, double>>{{"stem.out", 0.5},
                                                                 {"block1.expand", 0.5},
                                                                 {"block1.out", 1.0},
                                                                 {"block2.expand", 1.0},
                                                                 {"block2.out", 1.0},
                                                                 {"mix.out", 1.0}}));
}

TEST(ReportNetworksTest, BitWidthsListWeightAndActivationBitsPerOperator) {
  const NetSpec net = testing::SampleNet(HWNAS_SOURCE_DIR);
  std::vector<OpBits> bits(QuantOpCount(net), OpBits{4, 6});
  bits[0] = {8, 8};
  const std::vector<PolicyBar> bars = BitWidths(ApplyBitPolicy(net, bits), "uniform");
  ASSERT_EQ(bars.size(), 2 * bits.size());
  EXPECT_EQ(bars[0].item, "stem.conv");
  EXPECT_EQ(bars[0].quantity, "weight bits");
  EXPECT_EQ(bars[0].value, 8);
  EXPECT_EQ(bars[2].item, "block1.expand");
  EXPECT_EQ(bars[3].quantity, "activation bits");
  EXPECT_EQ(bars[3].value, 6);
  EXPECT_EQ(bars.back().item, "classifier.logits");
}

TEST(ReportSectionsTest, AStageRunIsNamedByItsStrategy) {
  results::RunRecord run;
  const std::vector<std::pair<std::string, std::string>> stages = {{"proxyless", "search"},
                                                                   {"train", "retrain"},
                                                                   {"amc", "prune"},
                                                                   {"haq", "quantize"},
                                                                   {"evolution", "evolution"}};
  for (const auto& [strategy, stage] : stages) {
    run.strategy = strategy;
    EXPECT_EQ(StageOf(run), stage);
  }
}

}  // namespace
}  // namespace hwnas::report
