#include "search/compression.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "core/progress.h"
#include "search/finetune.h"
#include "search/train_util.h"
#include "supernet/threads.h"

namespace hwnas::search {

std::vector<std::vector<float>> MinMaxScaled(std::vector<std::vector<double>> rows) {
  const size_t columns = rows.empty() ? 0 : rows[0].size();
  for (size_t column = 0; column < columns; ++column) {
    double lo = rows[0][column], hi = rows[0][column];
    for (const auto& row : rows) lo = std::min(lo, row[column]), hi = std::max(hi, row[column]);
    for (auto& row : rows)
      if (hi > lo) row[column] = (row[column] - lo) / (hi - lo);
  }
  std::vector<std::vector<float>> scaled;
  for (const auto& row : rows) scaled.emplace_back(row.begin(), row.end());
  return scaled;
}

std::string FormatEpisodeTimes(const EpisodeTimes& t, const std::string& prepare) {
  char line[256];
  std::snprintf(line, sizeof line, "per episode %s: agent %s, budget %s, %s %s, evaluate %s",
                FormatDuration(t.total).c_str(), FormatDuration(t.agent).c_str(),
                FormatDuration(t.budget).c_str(), prepare.c_str(),
                FormatDuration(t.prepare).c_str(), FormatDuration(t.evaluate).c_str());
  return line;
}

void AverageEpisodeTimes(EpisodeTimes& t, int64_t episodes, double wall_seconds) {
  const double n = static_cast<double>(std::max<int64_t>(episodes, 1));
  for (double* part : {&t.agent, &t.budget, &t.prepare, &t.evaluate}) *part /= n;
  t.total = wall_seconds / n;
}

void ReportEpisodeTimes(Reporter& reporter, int64_t step, const EpisodeTimes& t,
                        const std::string& prepare_metric) {
  reporter.OnMetrics(step, {{"episode_seconds", t.total},
                            {"agent_seconds", t.agent},
                            {"budget_seconds", t.budget},
                            {prepare_metric, t.prepare},
                            {"evaluate_seconds", t.evaluate}});
}

rl::DdpgAgent StartAgent(const Config& config, const DdpgOptions& agent, int64_t state_size,
                         int64_t steps, const CompressionContext& context, const std::string& who) {
  if (context.reporter == nullptr || context.artifact_dir.empty())
    throw std::invalid_argument(who + " needs a reporter and an artifact directory");
  torch::manual_seed(config.seed);
  supernet::SetThreads(static_cast<int>(config.threads));
  DdpgOptions options = agent;
  options.seed = config.seed;
  return rl::DdpgAgent(state_size, steps, options);
}

TrainResult FineTuneAndStore(supernet::Network& net, const Config& config, const DataSplits& data,
                             const CompressionContext& context, const FineTuneRequest& request) {
  const std::string path = request.dir + "/compressed.pt";
  SaveModule(net, path, request.weights_kind);
  context.reporter->OnArtifact(request.prefix + request.weights_kind, path);

  Config finetune = config;
  finetune.train.epochs = request.epochs;
  finetune.train.learning_rate = request.learning_rate;
  OffsetReporter offset(*context.reporter, request.step_offset, request.prefix);
  TrainContext train;
  train.reporter = &offset;
  train.show_progress = context.show_progress;
  train.artifact_dir = request.dir;
  train.initial_weights = path;
  train.stop_requested = context.stop_requested;
  train.measure_latency = request.measure_latency && !request.measured_latency_ms;
  const TrainResult result = TrainNetwork(net->spec(), finetune, data, train);
  ArchitectureRecord record = offset.held.back();
  record.role = request.role;
  record.step = request.step_offset + std::max<int64_t>(request.epochs - 1, 0);
  record.estimated_latency_ms = request.estimated_latency_ms;
  if (request.measured_latency_ms) record.measured_latency_ms = request.measured_latency_ms;
  context.reporter->OnArchitecture(record);
  return result;
}

}  // namespace hwnas::search
