// End-to-end tests of `hwnas export` and `hwnas predict` with the real binary: a network trained
// on a folder of real Fashion-MNIST PNG files is exported as ONNX and TorchScript, and predict
// gives the same classes and probabilities from the stored run (LibTorch), the ONNX file
// (OpenCV's DNN module) and the TorchScript file (torch::jit). Bad requests exit cleanly.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "results/store.h"
#include "tests/support/image_folder_writer.h"
#include "tests/support/run_command.h"

namespace hwnas::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const std::string kTrainConfig = std::string(HWNAS_SOURCE_DIR) + "/configs/train-synthetic.yaml";

class ExportCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!fs::exists(std::string(kFashionMnistDefaultDir) + "/t10k-images-idx3-ubyte.gz")) return;
    dir_ = new std::string(MakeTempDir("export-cli"));
    db_ = new std::string(*dir_ + "/h.db");
    // 4 classes of 40 + 10 PNG images at 28x28 -> 16x16: the synthetic config's 4-way network.
    images_ = WriteFashionFolder(*dir_ + "/images", {4, 40, 10, "png", false, "test"});
    trained_ =
        RunHwnas({"--db", *db_, "-q", "train", kTrainConfig, "train.epochs=2",
                  "data.dataset=folder", "data.path=" + *dir_ + "/images", "data.image_size=16",
                  "data.channels=1", "data.cache_dir=" + *dir_ + "/cache"})
            .exit_code;
  }
  void SetUp() override {
    if (dir_ == nullptr) GTEST_SKIP() << "needs the Debian package dataset-fashion-mnist";
    ASSERT_EQ(trained_, 0);
  }
  // predict's JSON rows: (image, rank) -> probability, and the top class per image.
  static std::map<std::pair<std::string, int64_t>, std::pair<std::string, double>> Predicted(
      const std::string& model) {
    std::vector<std::string> args = {"--db", *db_, "predict", model};
    for (size_t i = 0; i < 3; ++i) args.push_back(images_[i].path);
    args.insert(args.end(), {"--top", "3", "--format", "json"});
    CommandResult r = RunHwnas(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::map<std::pair<std::string, int64_t>, std::pair<std::string, double>> rows;
    for (const auto& row : nlohmann::json::parse(r.out))
      rows[{row["image"], row["rank"]}] = {row["class"], row["probability"]};
    return rows;
  }
  static std::string* dir_;
  static std::string* db_;
  static std::vector<WrittenImage> images_;
  static int trained_;
};
std::string* ExportCliTest::dir_ = nullptr;
std::string* ExportCliTest::db_ = nullptr;
std::vector<WrittenImage> ExportCliTest::images_;
int ExportCliTest::trained_ = -1;

TEST_F(ExportCliTest, OnnxAndTorchScriptPredictAsTheStoredRun) {
  const auto from_run = Predicted("1");
  ASSERT_EQ(from_run.size(), 9u);  // 3 images x top 3
  for (const char* format : {"onnx", "torchscript"}) {
    const std::string out = *dir_ + "/model." + format;
    CommandResult r = RunHwnas({"--db", *db_, "export", "1", "--format", format, "--out", out});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("exported run 1"));
    const auto from_file = Predicted(out);
    ASSERT_EQ(from_file.size(), from_run.size()) << format;
    for (const auto& [key, value] : from_run) {
      EXPECT_EQ(from_file.at(key).first, value.first) << format << " " << key.first;
      EXPECT_NEAR(from_file.at(key).second, value.second, 1e-5) << format << " " << key.first;
    }
  }
  // Class names come from the folder names, in sorted order.
  for (const auto& [key, value] : from_run)
    EXPECT_THAT((std::vector<std::string>{"Dress", "Pullover", "T-shirt-top", "Trouser"}),
                ::testing::Contains(value.first));
}

TEST_F(ExportCliTest, TextOutputNamesTheModelAndTheTopClasses) {
  CommandResult r = RunHwnas({"--db", *db_, "predict", "1", images_[0].path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("model: run 1 (final)"));
  EXPECT_THAT(r.out, HasSubstr(images_[0].path));
}

TEST_F(ExportCliTest, BadRequestsExitWithOneMessageAndWriteNothing) {
  const std::string out = *dir_ + "/bad.onnx";
  CommandResult unknown = RunHwnas({"--db", *db_, "export", "7", "--format", "onnx", "--out", out});
  EXPECT_EQ(unknown.exit_code, 64);
  EXPECT_THAT(unknown.err, HasSubstr("7"));

  CommandResult unwritable = RunHwnas(
      {"--db", *db_, "export", "1", "--format", "onnx", "--out", *dir_ + "/no/such/dir/m.onnx"});
  EXPECT_EQ(unwritable.exit_code, 74) << unwritable.err;
  EXPECT_THAT(unwritable.err, HasSubstr("no/such/dir/m.onnx"));

  {  // a finished run without a network
    auto store = results::Store::Open(*db_);
    const int64_t id = store->BeginRun({});
    store->FinishRun(id, results::RunStatus::kFinished);
  }
  CommandResult empty = RunHwnas({"--db", *db_, "export", "2", "--format", "onnx", "--out", out});
  EXPECT_EQ(empty.exit_code, 64);
  EXPECT_THAT(empty.err, HasSubstr("run 2 stored no 'final' network (stored: none)"));

  CommandResult format =
      RunHwnas({"--db", *db_, "export", "1", "--format", "tflite", "--out", out});
  EXPECT_NE(format.exit_code, 0);
  EXPECT_THAT(format.err, HasSubstr("tflite"));

  CommandResult not_image = RunHwnas({"--db", *db_, "predict", "1", kTrainConfig});
  EXPECT_EQ(not_image.exit_code, 65);
  EXPECT_THAT(not_image.err, HasSubstr(kTrainConfig));
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace hwnas::testing
