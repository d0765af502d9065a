// End-to-end tests of `hwnas search` with strategy evolution and of `hwnas predictor`: the real
// binary specializes a synthetic supernet to cpu latency targets and to an imported phone table
// (its missing keys predicted), each target stored as a run that `results pareto` shows; latency
// predictors are validated, saved and reloaded from CSV files; bad input exits with its
// documented code before anything is stored.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <random>
#include <string>

#include "results/store.h"
#include "tests/support/run_command.h"

namespace hwnas::testing {
namespace {

using ::testing::HasSubstr;

const std::string kConfigs = std::string(HWNAS_SOURCE_DIR) + "/configs/";
const std::string kPixel1 =
    std::string(HWNAS_SOURCE_DIR) + "/../shared/data/luts/proxylessnas-mobile-pixel1.yaml";

std::string SearchedDatabase(const std::string& name) {
  const std::string db = MakeTempDir(name) + "/e.db";
  const CommandResult r =
      RunHwnas({"--db", db, "-q", "search", kConfigs + "search-synthetic.yaml"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return db;
}

CommandResult Evolution(const std::string& db, const std::string& targets,
                        std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"--db",
                                   db,
                                   "-q",
                                   "search",
                                   kConfigs + "evolution-synthetic.yaml",
                                   "evolution.targets=" + targets};
  args.insert(args.end(), extra.begin(), extra.end());
  return RunHwnas(args);
}

// The fastest network of the space on this machine's cpu table, as the error for a target under
// it names it (cpu latency differs from machine to machine, so fixed targets would not do).
double FastestCpuMs(const std::string& db) {
  const CommandResult r = Evolution(db, "[\"cpu:0.0001\"]");
  EXPECT_EQ(r.exit_code, 78) << r.err;
  const std::string marker = "on cpu (";
  const size_t at = r.err.find(marker);
  if (at == std::string::npos) {
    ADD_FAILURE() << "no fastest network in: " << r.err;
    return 1;
  }
  return std::stod(r.err.substr(at + marker.size()));
}

std::string Ms(double ms) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", ms);
  return text;
}

TEST(EvolutionCliTest, SpecializesOneSupernetToSeveralTargets) {
  const std::string db = SearchedDatabase("evolution");
  const bool phone = std::filesystem::exists(kPixel1);
  if (phone) {
    const CommandResult r =
        RunHwnas({"--db", db, "latency", "import", kPixel1, "--device", "pixel1"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  const double fastest = FastestCpuMs(db);
  const std::string tight = Ms(1.5 * fastest + 0.005), loose = Ms(5 * fastest);
  const std::string cpu_targets = "\"cpu:" + tight + "\", \"cpu:" + loose + "\"";
  const std::string targets =
      phone ? "[" + cpu_targets + ", \"pixel1:1000\"]" : "[" + cpu_targets + "]";
  const CommandResult r = Evolution(db, targets);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(
      r.out,
      HasSubstr("run 2 finished: evolution-synthetic\n  accuracy predictor of run 1's supernet"));
  EXPECT_THAT(r.out, HasSubstr("3 evolution-synthetic-cpu@"));

  auto store = results::Store::Open(db, results::Store::OpenMode::kExisting);
  EXPECT_EQ(store->GetRun(2).strategy, "evolution");
  EXPECT_EQ(store->Architectures(2).size(), 30u);  // the accuracy samples
  const std::vector<std::pair<std::string, double>> expected = {
      {"cpu", std::stod(tight)}, {"cpu", std::stod(loose)}, {"pixel1", 1000.0}};
  for (size_t i = 0; i < (phone ? 3u : 2u); ++i) {
    const int64_t run = 3 + static_cast<int64_t>(i);
    EXPECT_EQ(store->GetRun(run).status, results::RunStatus::kFinished);
    EXPECT_EQ(store->GetRun(run).device, expected[i].first);
    const auto archs = store->Architectures(run);
    ASSERT_EQ(archs.size(), 1u);
    EXPECT_EQ(archs[0].record.role, "final");
    EXPECT_LE(archs[0].record.estimated_latency_ms.value_or(1e9), expected[i].second);
    EXPECT_EQ(archs[0].record.measured_latency_ms.has_value(), expected[i].first == "cpu");
    EXPECT_TRUE(archs[0].record.accuracy.has_value());
  }
  // Among the evolution runs alone one is always on the front; against the searched network its
  // measured latency decides, which a loaded machine can tip.
  const CommandResult pareto =
      RunHwnas({"--db", db, "results", "pareto", "--device", "cpu", "--strategy", "evolution"});
  ASSERT_EQ(pareto.exit_code, 0) << pareto.err;
  EXPECT_THAT(pareto.out, HasSubstr("evolution-synthetic-cpu@"));
}

TEST(EvolutionCliTest, BadInputIsRefusedBeforeAnythingIsStored) {
  const std::string db = SearchedDatabase("evolution-bad");
  {
    // Run 1 exists but is no proxyless search.
    const std::string other = MakeTempDir("evolution-train") + "/t.db";
    ASSERT_EQ(RunHwnas({"--db", other, "-q", "train", kConfigs + "train-synthetic.yaml",
                        "train.epochs=1"})
                  .exit_code,
              0);
    const CommandResult r =
        RunHwnas({"--db", other, "-q", "search", kConfigs + "evolution-synthetic.yaml",
                  "evolution.targets=[\"cpu:1\"]"});
    EXPECT_EQ(r.exit_code, 64);
    EXPECT_THAT(r.err, HasSubstr("run 1 (evolution.supernet_run) has strategy train; evolution "
                                 "specializes the supernet of a proxyless search"));
  }
  auto refused = [&](const std::string& targets, const std::vector<std::string>& extra, int code,
                     const std::string& message) {
    const CommandResult r = Evolution(db, targets, extra);
    EXPECT_EQ(r.exit_code, code) << r.err;
    EXPECT_THAT(r.err, HasSubstr(message));
    auto store = results::Store::Open(db, results::Store::OpenMode::kExisting);
    EXPECT_EQ(store->ListRuns({}).size(), 1u) << "a run was stored for " << targets;
  };
  refused("[\"phone9:5\"]", {}, 64, "unknown device 'phone9'");
  refused("[\"cpu:0.001\"]", {}, 78,
          "evolution.targets: target cpu:0.001 is below the fastest network of space "
          "'synthetic-mbconv' on cpu (");
  refused("[\"cpu:1\"]", {"evolution.supernet_run=7"}, 64, "unknown run '7'");
  refused("[\"cpu\"]", {}, 78, "'cpu' is not a target");
}

// A CSV in the OFA format: two stages of two blocks; latency = resolution^2 x work of the
// present blocks, so a predictor can learn it exactly.
std::string OfaCsv(const std::string& dir, const std::string& name, int rows, int stages) {
  std::mt19937 rng(5);
  std::string text = "idx,ks,e,d,r,gpu_1,gpu_8\n";
  for (int i = 0; i < rows; ++i) {
    std::string ks, e, d;
    double work = 0;
    const int r = 128 + 8 * static_cast<int>(rng() % 13);
    for (int s = 0; s < stages; ++s) {
      const int depth = 1 + static_cast<int>(rng() % 2);
      d += (s ? "-" : "") + std::to_string(depth);
      for (int b = 0; b < 2; ++b) {
        const int k = 3 + 2 * static_cast<int>(rng() % 3), x = 3 + static_cast<int>(rng() % 2) * 3;
        ks += (ks.empty() ? "" : "-") + std::to_string(k);
        e += (e.empty() ? "" : "-") + std::to_string(x);
        if (b < depth) work += k * x;
      }
    }
    const double ms = 0.5 + work * r * r / 1e5;
    text += std::to_string(i) + "," + ks + "," + e + "," + d + "," + std::to_string(r) + "," +
            std::to_string(ms) + "," + std::to_string(2 * ms) + "\n";
  }
  const std::string path = dir + "/" + name;
  WriteFile(path, text);
  return path;
}

TEST(PredictorCliTest, ValidatesFitsAndReloadsLatencyPredictors) {
  const std::string dir = MakeTempDir("predictor");
  const std::string csv = OfaCsv(dir, "a.csv", 120, 2);
  const CommandResult v = RunHwnas({"predictor", "validate", csv, "--train", "40,80", "--model",
                                    "ridge,gbt", "--repeats", "1", "--format", "csv"});
  ASSERT_EQ(v.exit_code, 0) << v.err;
  EXPECT_THAT(v.out, HasSubstr("column,train,model,test,kendall_tau,within_10pct,mape,rmse_ms"));
  EXPECT_THAT(v.out, HasSubstr("gpu_1,80,ridge,40,"));
  EXPECT_THAT(v.out, HasSubstr("gpu_8,40,gbt,80,"));

  const CommandResult prior = RunHwnas({"predictor", "validate", csv, "--prior", "gpu_8", "--train",
                                        "10", "--repeats", "1", "--format", "csv"});
  ASSERT_EQ(prior.exit_code, 0) << prior.err;
  EXPECT_THAT(prior.out, HasSubstr("gpu_1,10,ridge,110,0.99"));  // gpu_1 = gpu_8 / 2
  EXPECT_THAT(prior.out, ::testing::Not(HasSubstr("gpu_8,")));

  const std::string saved = dir + "/gpu_1.json";
  const CommandResult fit =
      RunHwnas({"predictor", "fit", csv, "--column", "gpu_1", "--train", "100", "--out", saved});
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  EXPECT_THAT(fit.out, HasSubstr("ridge predictor of gpu_1 fitted on 100 architectures"));
  const CommandResult same = RunHwnas({"predictor", "evaluate", saved, csv, "--column", "gpu_1"});
  ASSERT_EQ(same.exit_code, 0) << same.err;
  EXPECT_THAT(same.out, HasSubstr("gpu_1: 120 architectures, Kendall tau 0.9"));

  const std::string other = OfaCsv(dir, "b.csv", 30, 3);  // three stages: other features
  const CommandResult mismatch = RunHwnas({"predictor", "evaluate", saved, other});
  EXPECT_EQ(mismatch.exit_code, 65);
  EXPECT_THAT(mismatch.err, HasSubstr("features do not match the predictor: feature "));

  WriteFile(dir + "/bad.csv", "ks,e,r,gpu\n3-3,3-3,128,1\n");
  const CommandResult missing = RunHwnas({"predictor", "validate", dir + "/bad.csv"});
  EXPECT_EQ(missing.exit_code, 65);
  EXPECT_THAT(missing.err, HasSubstr("bad.csv: no column 'd' (columns: ks, e, r, gpu)"));
  const CommandResult few = RunHwnas({"predictor", "validate", csv, "--train", "120"});
  EXPECT_EQ(few.exit_code, 64);
  EXPECT_THAT(few.err, HasSubstr("--train 120 leaves no test architectures"));
}

// The network-level correction learns from two `latency validate` runs, is scored on a third,
// and is reported by later estimates and validations.
TEST(PredictorCliTest, NetworkCorrectionFromValidateRuns) {
  const std::string db = MakeTempDir("correct") + "/c.db";
  auto validate = [&](const std::string& seed) {
    const CommandResult r =
        RunHwnas({"--db", db, "-q", "latency", "validate", "--space", "synthetic-mbconv",
                  "--samples", "12", "--rounds", "1", "--seed", seed});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r;
  };
  validate("1");
  validate("2");
  validate("3");
  const CommandResult c = RunHwnas({"--db", db, "latency", "correct", "--space", "synthetic-mbconv",
                                    "--runs", "1,2", "--test-run", "3"});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_THAT(c.out, HasSubstr("network correction (ridge) of table 1 (cpu / synthetic-mbconv), "
                               "fitted on 24 networks"));
  EXPECT_THAT(c.out, HasSubstr("on the 12 networks of run 3 (not fitted on):"));
  EXPECT_THAT(validate("4").out, HasSubstr("  network correction "));
  const CommandResult estimate = RunHwnas({"--db", db, "latency", "estimate", "--space",
                                           "synthetic-mbconv", "--arch", "k3e3 skip k5e3"});
  ASSERT_EQ(estimate.exit_code, 0) << estimate.err;
  EXPECT_THAT(estimate.out, HasSubstr("network correction: "));
  const CommandResult wrong =
      RunHwnas({"--db", db, "latency", "correct", "--space", "fmnist-mbconv", "--runs", "1"});
  EXPECT_EQ(wrong.exit_code, 64);
  EXPECT_THAT(wrong.err, HasSubstr("run 1 validated synthetic-mbconv on cpu, not fmnist-mbconv"));
}

}  // namespace
}  // namespace hwnas::testing
