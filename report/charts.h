// The charts of `hwnas report` as declarative Vega-Lite specifications (nlohmann::json), one
// function per chart, each built from plain records with its data inlined. The page renders
// them with vega-embed; nothing here draws.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hwnas::report {

using Spec = nlohmann::ordered_json;

// One network on the accuracy/latency plane. `kind`: "searched" (a search's final network),
// "baseline" (a trained hand-written network, a uniform compression) or "stage" (a pipeline
// stage); `latency_source` says whether `latency_ms` was measured or only estimated.
struct ParetoPoint {
  int64_t run = 0;
  std::string label;  // "run 3: quickstart"
  std::string device;
  std::string kind;
  double latency_ms = 0;
  double accuracy = 0;
  std::string latency_source = "measured";
};
// Points by device (colour) and kind (shape), and each device's Pareto front (latency
// minimized, accuracy maximized) as a step line; every point carries `front`.
Spec ParetoChart(const std::vector<ParetoPoint>& points);

// One value of a metric series at one step (epoch or episode).
struct SeriesPoint {
  int64_t step = 0;
  std::string series;
  double value = 0;
};
// Two panels over the steps: the loss series and the accuracy series.
Spec TrainingChart(const std::vector<SeriesPoint>& loss, const std::vector<SeriesPoint>& accuracy);

// The probability of one candidate of one block after one search epoch.
struct ProbabilityCell {
  int64_t step = 0;
  std::string block;
  std::string candidate;
  double probability = 0;
};
// Heatmap: a row per block and candidate (in the order given), a column per epoch.
Spec ProbabilityChart(const std::vector<ProbabilityCell>& cells);

// The expected cost E of the architecture distribution and the derived architecture's cost per
// epoch (series "expected", "derived"), against the search's target.
struct CostCurve {
  std::vector<SeriesPoint> points;
  std::optional<double> target;
  std::string unit = "ms";  // "ms" or "M MACs"
};
Spec ExpectedCostChart(const CostCurve& curve);

// One bar of a compression policy: a layer or operator, the policy it belongs to ("best" or
// "uniform"), what is measured ("preserve", "weight bits", "activation bits") and its value.
struct PolicyBar {
  std::string item;
  std::string policy;
  std::string quantity;
  double value = 0;
};
// AMC: the preserve ratio of every pruned layer, best policy beside the uniform one.
Spec PreserveRatioChart(const std::vector<PolicyBar>& bars);
// HAQ: weight and activation bits of every operator (a row each), best beside uniform.
Spec BitWidthChart(const std::vector<PolicyBar>& bars);

struct EpisodeReward {
  int64_t episode = 0;
  double reward = 0;
};
// Every episode's reward as a point and the best reward so far as a step line.
Spec RewardChart(const std::vector<EpisodeReward>& episodes);

struct LayerLatency {
  std::string layer;
  std::string key;  // its latency table op key
  double ms = 0;
};
// Horizontal bars, one per layer in network order; the title gives the device and the total.
Spec LayerLatencyChart(const std::vector<LayerLatency>& layers, const std::string& device,
                       double total_ms);

struct ValidationPoint {
  std::string arch;
  double measured_ms = 0;
  double estimated_ms = 0;
};
// Estimated against measured latency per network, with the line y = x.
Spec ValidationChart(const std::vector<ValidationPoint>& points);

// One stage of a pipeline run: what it produced and how long it took.
struct StageRow {
  int64_t index = 0;
  std::string stage;
  std::optional<int64_t> run;  // the child run of the stage, when found
  std::optional<double> accuracy;
  std::optional<double> latency_ms;
  double flops = 0;
  double params = 0;
  double size_bits = 0;
  std::optional<double> seconds;
};
// The pipeline's stage table as a Vega-Lite text table: a row per stage, a column per value.
Spec StageTableChart(const std::vector<StageRow>& stages);

}  // namespace hwnas::report
