// Builders for test databases shared by the results unit tests and the results CLI tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "results/store.h"
#include "tests/support/run_command.h"

namespace hwnas::testing {

// A path for a database that does not exist yet, in a fresh directory.
inline std::string NewDbPath(const std::string& name) { return MakeTempDir(name) + "/hwnas.db"; }

struct SampleRun {
  SampleRun(std::string name, std::string strategy = "proxyless", std::string device = "cpu",
            double accuracy = 0.9, std::optional<double> measured_latency_ms = std::nullopt,
            double estimated_latency_ms = 2.0,
            results::RunStatus status = results::RunStatus::kFinished)
      : name(std::move(name)),
        strategy(std::move(strategy)),
        device(std::move(device)),
        accuracy(accuracy),
        measured_latency_ms(measured_latency_ms),
        estimated_latency_ms(estimated_latency_ms),
        status(status) {}

  std::string name;
  std::string strategy;
  std::string device;
  double accuracy;
  std::optional<double> measured_latency_ms;
  double estimated_latency_ms;
  results::RunStatus status;
};

// A run with two epochs of metrics and a final architecture carrying the summary values.
inline int64_t AddSampleRun(results::Store& store, const SampleRun& sample) {
  results::RunInfo info;
  info.name = sample.name;
  info.strategy = sample.strategy;
  info.device = sample.device;
  info.dataset = "synthetic";
  info.seed = 7;
  info.config_text = "name: " + sample.name + "\nstrategy: " + sample.strategy + "\n";
  int64_t id = store.BeginRun(info);
  auto reporter = store.MakeReporter(id);
  reporter->OnMetrics(0, {{"train_loss", 1.5}, {"holdout_accuracy", sample.accuracy - 0.1}});
  reporter->OnMetrics(1, {{"train_loss", 0.5}, {"holdout_accuracy", sample.accuracy - 0.05}});
  ArchitectureRecord arch;
  arch.role = "final";
  arch.step = 1;
  arch.arch = "k3e6 k5e3 skip";
  arch.netspec_json = R"({"name":"net","layers":[{"name":"stem","latency_ms":0.5},)"
                      R"({"name":"stage1.block0","latency_ms":1.25}]})";
  arch.flops = 3e6;
  arch.params = 12345;
  arch.size_bits = 12345 * 32.0;
  arch.estimated_latency_ms = sample.estimated_latency_ms;
  arch.measured_latency_ms = sample.measured_latency_ms;
  arch.latency_device = sample.device;
  arch.accuracy = sample.accuracy;
  reporter->OnArchitecture(arch);
  if (sample.status != results::RunStatus::kRunning) store.FinishRun(id, sample.status);
  return id;
}

}  // namespace hwnas::testing
