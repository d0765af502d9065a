// The callback interface a strategy reports its progress through: metrics over time,
// architectures, RL episodes and artifacts. results::RunRecorder writes them to SQLite;
// RecordingReporter keeps them in memory for tests. Strategies never see SQLite.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace hwnas {

// One architecture a run produced: per-epoch derived ones, the final network, baselines.
struct ArchitectureRecord {
  std::string role;   // "final", "derived", "baseline", ...
  int64_t step = -1;  // epoch or episode it belongs to; -1 = none
  std::string arch;   // stable string form, e.g. "k3e6 k5e3 skip"
  std::string netspec_json;
  double flops = 0;  // multiply-accumulates of one forward pass at batch 1
  double params = 0;
  double size_bits = 0;
  std::optional<double> estimated_latency_ms;
  std::optional<double> measured_latency_ms;
  std::string latency_device;
  std::optional<double> accuracy;  // test accuracy in [0, 1]
};

// One reinforcement-learning episode (AMC, HAQ).
struct EpisodeRecord {
  int64_t episode = 0;
  double reward = 0;
  double accuracy = 0;
  double cost = 0;
  double cost_ratio = 0;
  std::string policy_json;
};

// The data a run trained on: its train split's shape and classes, and the normalisation its
// networks expect, x = (pixel / 255 - mean) / stddev per channel. Export and predict use it.
struct DatasetRecord {
  std::string name;  // "fashion-mnist", "cifar10", "folder", ...
  std::string path;  // the data.path it was read from; empty for built-in locations
  int64_t height = 0;
  int64_t width = 0;
  int64_t channels = 0;
  std::vector<std::string> class_names;  // label order
  std::vector<float> mean;
  std::vector<float> stddev;
  int64_t train_images = 0;
  int64_t holdout_images = 0;
  int64_t test_images = 0;
  std::vector<std::string> skipped_files;  // unreadable images left out (data.skip_bad_images)
};

using MetricValues = std::vector<std::pair<std::string, double>>;

class Reporter {
 public:
  virtual ~Reporter() = default;
  // Several metrics of one step, written together.
  virtual void OnMetrics(int64_t step, const MetricValues& values) = 0;
  virtual void OnArchitecture(const ArchitectureRecord& record) = 0;
  virtual void OnEpisode(const EpisodeRecord& record) = 0;
  // A file the run produced (weights, checkpoint); the store records its checksum.
  virtual void OnArtifact(const std::string& kind, const std::string& path) = 0;
  // The data the run trained on (once per run, before its first metric).
  virtual void OnDataset(const DatasetRecord& /*record*/) {}

  void OnMetric(int64_t step, const std::string& name, double value) {
    OnMetrics(step, {{name, value}});
  }
};

// Forwards to `inner` with metric steps shifted by `offset` and metric names prefixed by
// `prefix` (a later phase of a run, e.g. retraining after the search, reports after it without
// colliding); architectures are held back so the caller can complete them (role, estimated
// latency) before passing them on.
class OffsetReporter : public Reporter {
 public:
  OffsetReporter(Reporter& inner, int64_t offset, std::string prefix = "")
      : inner_(inner), offset_(offset), prefix_(std::move(prefix)) {}
  void OnMetrics(int64_t step, const MetricValues& values) override {
    MetricValues renamed = values;
    for (auto& item : renamed) item.first = prefix_ + item.first;
    inner_.OnMetrics(step + offset_, renamed);
  }
  void OnArchitecture(const ArchitectureRecord& record) override { held.push_back(record); }
  void OnEpisode(const EpisodeRecord& record) override { inner_.OnEpisode(record); }
  void OnArtifact(const std::string& kind, const std::string& path) override {
    inner_.OnArtifact(prefix_ + kind, path);
  }
  void OnDataset(const DatasetRecord& record) override { inner_.OnDataset(record); }
  std::vector<ArchitectureRecord> held;

 private:
  Reporter& inner_;
  int64_t offset_;
  std::string prefix_;
};

// Keeps everything in memory; for tests and for runs without a store.
class RecordingReporter : public Reporter {
 public:
  struct Metric {
    int64_t step;
    std::string name;
    double value;
  };
  void OnMetrics(int64_t step, const MetricValues& values) override {
    for (const auto& [name, value] : values) metrics.push_back({step, name, value});
  }
  void OnArchitecture(const ArchitectureRecord& record) override {
    architectures.push_back(record);
  }
  void OnEpisode(const EpisodeRecord& record) override { episodes.push_back(record); }
  void OnArtifact(const std::string& kind, const std::string& path) override {
    artifacts.emplace_back(kind, path);
  }
  void OnDataset(const DatasetRecord& record) override { datasets.push_back(record); }

  std::vector<Metric> metrics;
  std::vector<ArchitectureRecord> architectures;
  std::vector<EpisodeRecord> episodes;
  std::vector<std::pair<std::string, std::string>> artifacts;
  std::vector<DatasetRecord> datasets;
};

}  // namespace hwnas
