#include "latency/op_predictor.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/errors.h"
#include "latency/estimator.h"
#include "latency/op_key.h"
#include "tests/latency/shared_data.h"

namespace hwnas::latency {
namespace {

TEST(OpKeyFeaturesTest, WorkOfAnMbconvKey) {
  // 14x14x32 -> 14x14x32, mid 192 (expand 6), kernel 5: expand 14*14*32*192, depthwise
  // 14*14*192*25, project 14*14*192*32 multiply-accumulates.
  const std::vector<double> f = OpKeyFeatures(
      "expanded_conv-input:14x14x32-output:14x14x32-expand:6-kernel:5-stride:1-idskip:1");
  const auto& names = OpKeyFeatureNames();
  ASSERT_EQ(f.size(), names.size());
  auto at = [&](const std::string& n) {
    return f[std::find(names.begin(), names.end(), n) - names.begin()];
  };
  EXPECT_DOUBLE_EQ(at("op=expanded_conv"), 1);
  EXPECT_DOUBLE_EQ(at("log_expand"), std::log1p(14.0 * 14 * 32 * 192));
  EXPECT_DOUBLE_EQ(at("log_spatial"), std::log1p(14.0 * 14 * 192 * 25));
  EXPECT_DOUBLE_EQ(at("log_project"), std::log1p(14.0 * 14 * 192 * 32));
  EXPECT_DOUBLE_EQ(at("kernel"), 5);
  EXPECT_DOUBLE_EQ(at("idskip"), 1);
  EXPECT_DOUBLE_EQ(at("log_weight_bits"), std::log(32.0));
  EXPECT_THROW(OpKeyFeatures("expanded_conv-input:14x14"), DataError);
}

LatencyTable SyntheticTable() {
  // Latency proportional to work: 1 ms per 10 M multiply-accumulates plus 0.05 ms.
  TableInfo info;
  info.device = "phone";
  LatencyTable table(info);
  for (int64_t size : {7, 14, 28, 56})
    for (int64_t c : {16, 24, 32, 48, 64})
      for (int64_t k : {3, 5}) {
        const std::string key = "expanded_conv-input:" + std::to_string(size) + "x" +
                                std::to_string(size) + "x" + std::to_string(c) +
                                "-output:" + std::to_string(size) + "x" + std::to_string(size) +
                                "x" + std::to_string(c) + "-expand:6-kernel:" + std::to_string(k) +
                                "-stride:1-idskip:1";
        const double macs = size * size * (2.0 * c * 6 * c + 6 * c * k * k);
        LatencyEntry s;
        s.mean = s.median = 0.05 + macs / 1e7;
        table.Set(key, s);
      }
  return table;
}

TEST(OpLatencyModelTest, PredictsKeysTheTableLacksAndMarksThem) {
  LatencyTable table = SyntheticTable();
  const OpLatencyModel model = OpLatencyModel::Fit(table);
  EXPECT_EQ(model.examples(), 40u);
  // 40 channels: between the table's 32 and 48 (a pruned count).
  const std::string key =
      "expanded_conv-input:28x28x40-output:28x28x40-expand:6-kernel:3-stride:1-idskip:1";
  const double truth = 0.05 + 28.0 * 28 * (2.0 * 40 * 6 * 40 + 6 * 40 * 9) / 1e7;
  EXPECT_NEAR(model.PredictMs(key), truth, 0.1 * truth);

  NetSpec net;
  net.input_channels = 40;
  net.input_size = 28;
  net.num_classes = 10;
  LayerSpec layer;
  layer.name = "block";
  layer.kind = LayerKind::kMBConv;
  layer.in_channels = layer.out_channels = 40;
  layer.mid_channels = 240;
  layer.kernel = 3;
  layer.input_size = 28;
  layer.skip = true;
  net.layers.push_back(layer);
  ASSERT_EQ(OpKey(layer), key);
  EXPECT_THROW(LatencyEstimator(table, nullptr).Run(net), DataError);  // no model: an error
  const Estimate e = LatencyEstimator(table, nullptr, &model).Run(net);
  EXPECT_EQ(e.predicted_layers, 1);
  EXPECT_EQ(e.layers[0].source, EntrySource::kPredicted);
  EXPECT_STREQ(EntrySourceName(e.layers[0].source), "predicted");
  EXPECT_TRUE(table.At(key).predicted);
  EXPECT_NEAR(e.total_ms, model.PredictMs(key), 1e-12);
}

TEST(OpLatencyModelTest, TooSmallATableIsAnError) {
  TableInfo info;
  info.device = "phone";
  LatencyTable table(info);
  LatencyEntry s;
  s.mean = s.median = 1;
  table.Set("Conv-input:28x28x1-output:28x28x16", s);
  try {
    OpLatencyModel::Fit(table, "ridge");
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_STREQ(e.what(),
                 "cannot fit an op latency model on the table of device 'phone': too few "
                 "examples to fit a ridge predictor (got 1; expected at least 2)");
  }
}

// The published ProxylessNAS Pixel 1 table: each of its 72 entries predicted by a model fitted
// on the other folds (measured: ridge+gbt 92% within 10%, Kendall tau 0.94).
TEST(OpLatencyModelTest, CrossValidatesOnThePixel1Table) {
  HWNAS_REQUIRE_SHARED_DATA();
  TableInfo info;
  info.device = "pixel1";
  const LatencyTable table =
      ImportProxylessYaml(testing::SharedData("luts/proxylessnas-mobile-pixel1.yaml"), info);
  const auto e = OpLatencyModel::CrossValidate(table, "ridge+gbt", 5);
  EXPECT_EQ(e.count, 72u);
  EXPECT_GT(e.within_10, 0.85);
  EXPECT_GT(e.kendall_tau, 0.9);
}

}  // namespace
}  // namespace hwnas::latency
