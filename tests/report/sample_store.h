// A results store holding one run of every kind the report charts (train, proxyless, amc, haq,
// latency validate, a pipeline with a stage run) and a latency table of the train run's network,
// with known numbers; shared by the report's unit tests, CLI tests and its node render test.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/netspec.h"
#include "core/netspec_yaml.h"
#include "latency/op_key.h"
#include "results/store.h"

namespace hwnas::testing {

struct SampleIds {
  int64_t train = 0, proxyless = 0, amc = 0, haq = 0, validate = 0, pipeline = 0, stage = 0;
};

inline NetSpec SampleNet(const std::string& source_dir) {
  return LoadNetSpecFile(source_dir + "/configs/nets/synthetic-cnn.yaml");
}

inline int64_t BeginSampleRun(results::Store& store, const std::string& name,
                              const std::string& strategy, const std::string& config_text,
                              std::optional<int64_t> parent = std::nullopt) {
  results::RunInfo info;
  info.name = name;
  info.strategy = strategy;
  info.device = "cpu";
  info.dataset = "synthetic";
  info.config_text = config_text;
  info.parent_run = parent;
  return store.BeginRun(info);
}

inline ArchitectureRecord SampleArch(const std::string& role, int64_t step, const NetSpec& net,
                                     double accuracy, double measured_ms) {
  ArchitectureRecord r;
  r.role = role;
  r.step = step;
  r.arch = ArchString(net);
  r.netspec_json = NetSpecToJson(net);
  r.flops = NetFlops(net);
  r.params = NetParams(net);
  r.size_bits = NetSizeBits(net);
  r.measured_latency_ms = measured_ms;
  r.latency_device = "cpu";
  r.accuracy = accuracy;
  return r;
}

// Key i of the net's layers costs 0.1 * (i + 1) ms.
inline void AddSampleTable(results::Store& store, const NetSpec& net) {
  results::LatencyTableRecord table;
  table.device = {"cpu", "measurable", "sample-fingerprint", "{}"};
  table.space = "synthetic-cnn";
  const std::vector<std::string> keys = latency::NetOpKeys(net);
  for (size_t i = 0; i < keys.size(); ++i) {
    const double ms = 0.1 * static_cast<double>(i + 1);
    table.entries.push_back({keys[i], ms, ms, 0.0, ms, ms, 5});
  }
  store.SaveLatencyTable(table);
}

inline int64_t AddSampleTrain(results::Store& store, const NetSpec& net) {
  const int64_t id = BeginSampleRun(store, "train-sample", "train", "");
  auto reporter = store.MakeReporter(id);
  reporter->OnMetrics(0, {{"train_loss", 1.2}, {"train_accuracy", 0.5}});
  reporter->OnMetrics(1, {{"train_loss", 0.6}, {"train_accuracy", 0.8}, {"test_accuracy", 0.75}});
  reporter->OnArchitecture(SampleArch("final", 1, net, 0.75, 1.0));
  store.FinishRun(id, results::RunStatus::kFinished);
  return id;
}

// Two blocks of two candidates; a warm-up epoch (0), then search epochs 1 and 2.
inline int64_t AddSampleProxyless(results::Store& store, const std::string& source_dir,
                                  const NetSpec& net) {
  const Config config =
      LoadConfig(source_dir + "/configs/search-synthetic.yaml", {"proxyless.target_ms=0.25"});
  const int64_t id = BeginSampleRun(store, "proxyless-sample", "proxyless", ConfigToYaml(config));
  auto reporter = store.MakeReporter(id);
  reporter->OnMetrics(0, {{"train_loss", 1.4}, {"train_accuracy", 0.3}});
  for (int64_t step = 1; step <= 2; ++step) {
    const double p = 0.5 + 0.2 * static_cast<double>(step);  // 0.7, 0.9
    reporter->OnMetrics(step, {{"train_loss", 1.0 / step},
                               {"train_accuracy", 0.5 + 0.1 * step},
                               {"arch_loss", 0.9 / step},
                               {"holdout_accuracy", 0.6 + 0.1 * step},
                               {"expected_cost", 0.4 - 0.1 * step},
                               {"derived_cost", 0.35 - 0.1 * step},
                               {"b1.entropy", 0.6},
                               {"b1.p.k3e3", p},
                               {"b1.p.skip", 1 - p},
                               {"b2.p.k3e3", 1 - p},
                               {"b2.p.skip", p}});
  }
  reporter->OnArchitecture(SampleArch("final", 2, net, 0.8, 0.9));
  store.FinishRun(id, results::RunStatus::kFinished);
  return id;
}

// AMC of `net` (run `source`): stem and block1's expansion kept at half, the uniform baseline
// at 0.75 everywhere it prunes; three episodes with rewards 0.2, 0.5, 0.4.
inline int64_t AddSampleAmc(results::Store& store, const std::string& source_dir,
                            const NetSpec& net, int64_t source) {
  const Config config = LoadConfig(source_dir + "/configs/amc-synthetic.yaml",
                                   {"amc.source_run=" + std::to_string(source)});
  const int64_t id = BeginSampleRun(store, "amc-sample", "amc", ConfigToYaml(config));
  auto reporter = store.MakeReporter(id);
  const double rewards[] = {0.2, 0.5, 0.4};
  for (int64_t e = 0; e < 3; ++e) reporter->OnEpisode({e, rewards[e], 0.7, 1.0, 0.5, "{}"});
  NetSpec best = net, uniform = net;
  best.layers[0].out_channels = best.layers[1].in_channels = 4;
  best.layers[1].mid_channels = 12;
  uniform.layers[0].out_channels = uniform.layers[1].in_channels = 6;
  uniform.layers[1].mid_channels = 18;
  reporter->OnArchitecture(SampleArch("final", 3, best, 0.72, 0.6));
  reporter->OnArchitecture(SampleArch("baseline", 4, uniform, 0.70, 0.7));
  store.FinishRun(id, results::RunStatus::kFinished);
  return id;
}

// HAQ: the best policy w8a8 for the first operator and w4a4 after, the uniform one w4a4.
inline int64_t AddSampleHaq(results::Store& store, const NetSpec& net) {
  const int64_t id = BeginSampleRun(store, "haq-sample", "haq", "");
  auto reporter = store.MakeReporter(id);
  reporter->OnEpisode({0, -0.1, 0.7, 1.0, 1.0, "{}"});
  std::vector<OpBits> best(QuantOpCount(net), OpBits{4, 4});
  best[0] = {8, 8};
  reporter->OnArchitecture(SampleArch("final", 1, ApplyBitPolicy(net, best), 0.74, 0.8));
  reporter->OnArchitecture(SampleArch(
      "baseline", 2, ApplyBitPolicy(net, std::vector<OpBits>(best.size(), {4, 4})), 0.7, 0.8));
  store.FinishRun(id, results::RunStatus::kFinished);
  return id;
}

// Three networks measured 1, 2, 3 ms and estimated 1.1, 1.8, 3.3 ms.
inline int64_t AddSampleValidation(results::Store& store, const NetSpec& net) {
  const int64_t id = BeginSampleRun(store, "validate-sample", "latency-validate", "{}");
  auto reporter = store.MakeReporter(id);
  const double measured[] = {1, 2, 3}, estimated[] = {1.1, 1.8, 3.3};
  for (int64_t i = 0; i < 3; ++i) {
    ArchitectureRecord r = SampleArch("validation", i, net, 0, measured[i]);
    r.accuracy.reset();
    r.estimated_latency_ms = estimated[i];
    reporter->OnArchitecture(r);
  }
  store.FinishRun(id, results::RunStatus::kFinished);
  return id;
}

// A pipeline of two stages (search 91.5% 0.544 ms 12.5 s, retrain 92% 0.55 ms 30 s); the
// search stage's run is its child.
inline void AddSamplePipeline(results::Store& store, const NetSpec& net, SampleIds& ids) {
  ids.pipeline = BeginSampleRun(store, "pipeline-sample", "pipeline", "");
  ids.stage = BeginSampleRun(store, "pipeline-sample-search", "proxyless", "", ids.pipeline);
  store.FinishRun(ids.stage, results::RunStatus::kFinished);
  auto reporter = store.MakeReporter(ids.pipeline);
  reporter->OnArchitecture(SampleArch("stage:search", 0, net, 0.915, 0.544));
  reporter->OnArchitecture(SampleArch("stage:retrain", 1, net, 0.92, 0.55));
  reporter->OnMetrics(0, {{"stage_seconds", 12.5}});
  reporter->OnMetrics(1, {{"stage_seconds", 30}});
  store.FinishRun(ids.pipeline, results::RunStatus::kFinished);
}

inline SampleIds WriteSampleStore(results::Store& store, const std::string& source_dir) {
  const NetSpec net = SampleNet(source_dir);
  SampleIds ids;
  AddSampleTable(store, net);
  ids.train = AddSampleTrain(store, net);
  ids.proxyless = AddSampleProxyless(store, source_dir, net);
  ids.amc = AddSampleAmc(store, source_dir, net, ids.train);
  ids.haq = AddSampleHaq(store, net);
  ids.validate = AddSampleValidation(store, net);
  AddSamplePipeline(store, net, ids);
  return ids;
}

}  // namespace hwnas::testing
