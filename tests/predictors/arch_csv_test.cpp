#include "predictors/arch_csv.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "core/errors.h"
#include "predictors/arch_encoding.h"
#include "tests/latency/shared_data.h"

namespace hwnas::predictors {
namespace {

std::string MessageOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no exception)";
}

std::string WriteFile(const std::string& name, const std::string& text) {
  std::filesystem::create_directories(HWNAS_TEST_TMP "/arch_csv");
  const std::string path = HWNAS_TEST_TMP "/arch_csv/" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(ArchEncoderTest, CountsChoicesPerGroupAndScalesThem) {
  EncodingLayout layout;
  layout.categories = {"a", "b", "none"};
  layout.group_of_block = {0, 0, 1};
  layout.numbers = {"r"};
  layout.scale_number = 0;
  layout.scale_reference = 2;
  const ArchEncoder encoder(layout);
  ASSERT_EQ(encoder.feature_names().size(), 2u * 3 * 2 + 2);
  EXPECT_EQ(encoder.feature_names()[0], "g0.a");
  EXPECT_EQ(encoder.feature_names()[1], "g0.a*s2");
  EXPECT_EQ(encoder.feature_names().back(), "r^2");
  // Blocks a, a | b at r = 4: s = 2, s^2 = 4.
  const std::vector<double> row = encoder.Encode({{"a", "a", "b"}, {4}});
  const std::vector<double> expected = {2, 8, 0, 0, 0, 0, 0, 0, 1, 4, 0, 0, 4, 16};
  EXPECT_EQ(row, expected);
  EXPECT_EQ(MessageOf([&] {
              encoder.Encode({{"a", "c", "b"}, {4}});
            }),
            "block 2 has choice 'c', which the encoding does not know");
  EXPECT_EQ(MessageOf([&] {
              encoder.Encode({{"a", "b"}, {4}});
            }),
            "an architecture of 2 blocks and 1 numbers for an encoding of 3 and 1");
}

TEST(ArchCsvTest, ReadsTheOfaDialect) {
  const std::string path = WriteFile("ok.csv",
                                     "idx,ks,e,d,r,gpu_1\n"
                                     "0,3-5-7-3,3-4-6-6,1-2,128,2.5\n"
                                     "1,7-7-3-3,6-6-3-3,2-1,224,4.0\n");
  const MeasuredArchs m = ReadOfaArchCsv(path);
  ASSERT_EQ(m.samples.size(), 2u);
  EXPECT_EQ(m.columns, std::vector<std::string>{"gpu_1"});
  EXPECT_EQ(m.samples[0].choices, (std::vector<std::string>{"k3e3", "none", "k7e6", "k3e6"}));
  EXPECT_EQ(m.samples[1].choices, (std::vector<std::string>{"k7e6", "k7e6", "k3e3", "none"}));
  EXPECT_EQ(m.layout.group_of_block, (std::vector<int>{0, 0, 1, 1}));
  EXPECT_EQ(m.samples[1].numbers, std::vector<double>{224});
  EXPECT_EQ(m.latency[0], (std::vector<double>{2.5, 4.0}));
}

TEST(ArchCsvTest, BadFilesNameLineFieldAndColumn) {
  const std::string missing = WriteFile("missing.csv", "idx,ks,e,r,gpu\n0,3,3,128,1\n");
  EXPECT_EQ(MessageOf([&] { ReadOfaArchCsv(missing); }),
            missing + ": no column 'd' (columns: idx, ks, e, r, gpu)");
  const std::string text = WriteFile("text.csv",
                                     "ks,e,d,r,gpu\n3-3,3-3,1-1,128,1.5\n3-3,3-3,1-1,"
                                     "128,fast\n");
  EXPECT_EQ(MessageOf([&] { ReadOfaArchCsv(text); }),
            text + ":3:5: column 'gpu': 'fast' is not a number");
  const std::string width = WriteFile("width.csv", "ks,e,d,r,gpu\n3-3,3-3,1-1,128\n");
  EXPECT_EQ(MessageOf([&] { ReadOfaArchCsv(width); }), width + ":2: 4 fields, the header has 5");
  const std::string list = WriteFile("list.csv", "ks,e,d,r,gpu\n3-x,3-3,1-1,128,1\n");
  EXPECT_EQ(MessageOf([&] { ReadOfaArchCsv(list); }),
            list + ":2:1: column 'ks': '3-x' is not a list of integers joined by '-'");
  const std::string negative = WriteFile("negative.csv", "ks,e,d,r,gpu\n3-3,3-3,1-1,128,-1\n");
  EXPECT_EQ(MessageOf([&] { ReadOfaArchCsv(negative); }),
            negative + ":2:5: column 'gpu': latency -1 is not positive");
  const std::string empty = WriteFile("empty.csv", "");
  EXPECT_EQ(MessageOf([&] { ReadOfaArchCsv(empty); }),
            empty + ": empty file (expected a header line)");
  EXPECT_THROW(ReadOfaArchCsv(empty + ".absent"), IoError);
}

// The published measurements: 5000 OFA MobileNetV3 architectures on two GPUs at three batch
// sizes. A ridge predictor fitted on 100 of them ranks the other 4900 on the batch-64 Titan RTX
// column almost perfectly (measured: tau 0.93, 98% within 10%).
TEST(ArchCsvTest, RidgeOnOneHundredOfaArchitecturesRanksTheRest) {
  HWNAS_REQUIRE_SHARED_DATA();
  const MeasuredArchs m = ReadOfaArchCsv(testing::SharedData("latency/ofa-mbv3-gpu-latency.csv"));
  ASSERT_EQ(m.samples.size(), 5000u);
  ASSERT_EQ(m.columns.size(), 6u);
  EXPECT_EQ(m.columns[5], "titan_rtx_64");
  EXPECT_EQ(m.layout.categories.size(), 10u);  // 3 kernels x 3 expansions + none
  // Row 0 has stage depths 2-2-2-2-3: blocks 3 and 4 of stage 1 are absent.
  EXPECT_EQ(m.samples[0].choices[0], "k7e6");
  EXPECT_EQ(m.samples[0].choices[2], "none");
  const ArchEncoder encoder(m.layout);
  const Examples all = encoder.Encode(m.samples, m.latency[5]);
  Examples train, test;
  train.features = test.features = all.features;
  for (size_t i = 0; i < all.size(); ++i) (i < 100 ? train : test).Add(all.rows[i], all.targets[i]);
  auto ridge = MakePredictor("ridge");
  ridge->Fit(train);
  const Agreement e = Evaluate(*ridge, test);
  EXPECT_GT(e.kendall_tau, 0.85);
  EXPECT_GT(e.within_10, 0.85);
}

}  // namespace
}  // namespace hwnas::predictors
