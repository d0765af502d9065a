// `hwnas config validate|print|keys` end to end: output, diagnostics and exit codes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/support/run_command.h"

namespace hwnas {
namespace {

using ::testing::HasSubstr;
using testing::MakeTempDir;
using testing::RunHwnas;
using testing::WriteFile;

const std::string kQuickstart = std::string(HWNAS_SOURCE_DIR) + "/configs/train-fmnist.yaml";

TEST(ConfigCliTest, ValidatePrintsOk) {
  auto result = RunHwnas({"config", "validate", kQuickstart});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, kQuickstart + ": ok\n");
  EXPECT_EQ(result.err, "");
}

TEST(ConfigCliTest, ValidateReportsEveryProblemWithExitCode78) {
  std::string dir = MakeTempDir("config-cli");
  WriteFile(dir + "/bad.yaml",
            "strategy: train\nnet: n.yaml\nepochs: 3\ndata:\n  dataset: mnist\n");
  auto result = RunHwnas({"config", "validate", "bad.yaml", "train.epochs=zero"}, {}, dir);
  EXPECT_EQ(result.exit_code, 78);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err,
            "bad.yaml:3:1: error: epochs: unknown key; did you mean 'proxyless.epochs' or "
            "'train.epochs'?\n"
            "bad.yaml:5:12: error: data.dataset: unknown value (got \"mnist\"; expected one of "
            "fashion-mnist, cifar10, synthetic, folder, cifar100)\n"
            "override 'train.epochs=zero': error: train.epochs: wrong type (got \"zero\"; "
            "expected an integer in [1, 10000])\n");
}

TEST(ConfigCliTest, ValidateMissingFile) {
  std::string dir = MakeTempDir("config-cli");
  auto result = RunHwnas({"config", "validate", "nope.yaml"}, {}, dir);
  EXPECT_EQ(result.exit_code, 78);
  EXPECT_EQ(result.err, "nope.yaml: error: cannot read file (No such file or directory)\n");
}

TEST(ConfigCliTest, OverrideWithoutEqualsSign) {
  auto result = RunHwnas({"config", "validate", kQuickstart, "train.epochs"});
  EXPECT_EQ(result.exit_code, 78);
  EXPECT_EQ(result.err,
            "override 'train.epochs': error: missing '=' (expected KEY=VALUE, e.g. "
            "train.epochs=3)\n");
}

TEST(ConfigCliTest, PrintShowsTheResolvedConfigWithOverrides) {
  auto result = RunHwnas({"config", "print", kQuickstart, "train.epochs=3", "name=my run"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("name: \"my run\"\n"));
  EXPECT_THAT(result.out, HasSubstr("\ntrain:\n  epochs: 3\n"));
  EXPECT_THAT(result.out, HasSubstr("  prefetch_batches: 4\n"));  // a default filled in
  EXPECT_THAT(result.out, HasSubstr("net: \"" + std::string(HWNAS_SOURCE_DIR) +
                                    "/configs/nets/"
                                    "fmnist-cnn.yaml\"\n"));
}

TEST(ConfigCliTest, PrintedConfigValidatesAndPrintsTheSame) {
  auto first = RunHwnas({"config", "print", kQuickstart, "data.dataset=synthetic"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  std::string dir = MakeTempDir("config-cli");
  WriteFile(dir + "/resolved.yaml", first.out);
  auto second = RunHwnas({"config", "print", dir + "/resolved.yaml"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(second.out, first.out);
}

TEST(ConfigCliTest, KeysListsEveryKey) {
  auto result = RunHwnas({"config", "keys"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("| `train.epochs` | an integer in [1, 10000] | `2` |"));
  EXPECT_THAT(
      result.out,
      HasSubstr(
          "| `strategy` | one of train, proxyless, amc, haq, evolution, pipeline | required |"));
}

TEST(ConfigCliTest, HelpExplainsUsageWithExamples) {
  auto validate = RunHwnas({"config", "validate", "--help"});
  EXPECT_EQ(validate.exit_code, 0);
  EXPECT_THAT(validate.out, HasSubstr("hwnas config validate configs/quickstart.yaml"));
  EXPECT_THAT(validate.out, HasSubstr("KEY=VALUE"));
  EXPECT_THAT(validate.out, HasSubstr("78"));
  auto print = RunHwnas({"config", "print", "--help"});
  EXPECT_THAT(print.out, HasSubstr("hwnas config print configs/quickstart.yaml"));
  auto config = RunHwnas({"config", "--help"});
  EXPECT_THAT(config.out, HasSubstr("validate"));
  EXPECT_THAT(config.out, HasSubstr("Examples:"));
}

TEST(ConfigCliTest, MissingFileArgumentIsAUsageError) {
  auto result = RunHwnas({"config", "validate"});
  EXPECT_EQ(result.exit_code, 64);
}

}  // namespace
}  // namespace hwnas
