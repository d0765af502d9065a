#include "report/sections.h"

#include <cmath>
#include <map>
#include <optional>

#include "core/config.h"
#include "core/errors.h"
#include "report/networks.h"
#include "report/page.h"
#include "results/run_queries.h"

namespace hwnas::report {
namespace {

using results::RunRecord;
using results::StoredArchitecture;

// Everything of one run the charts read, loaded once.
struct RunData {
  RunRecord run;
  std::vector<results::MetricRecord> metrics;
  std::vector<StoredArchitecture> architectures;
  std::vector<results::StoredEpisode> episodes;
};

std::string RunName(const RunRecord& run) {
  return "run " + std::to_string(run.id) + ": " + run.name;
}

bool EndsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::optional<Config> StoredConfig(const RunRecord& run) {
  try {
    return LoadConfigFromString(run.config_text, "run " + std::to_string(run.id));
  } catch (const Error&) {
    return std::nullopt;  // not a strategy config (latency validate) or from another version
  }
}

std::optional<NetSpec> NetOf(const StoredArchitecture& a) {
  if (a.record.netspec_json.empty()) return std::nullopt;
  try {
    return NetSpecFromJson(a.record.netspec_json, "architecture " + std::to_string(a.id));
  } catch (const Error&) {
    return std::nullopt;
  }
}

const StoredArchitecture* LastOfRole(const RunData& data, const std::string& role) {
  for (auto it = data.architectures.rbegin(); it != data.architectures.rend(); ++it)
    if (it->record.role == role) return &*it;
  return nullptr;
}

// --- the overview

std::string KindOf(const RunRecord& run, const std::string& role) {
  if (role.rfind("stage:", 0) == 0) return "stage";
  if (role == "baseline" || (role == "final" && run.strategy == "train")) return "baseline";
  return role == "final" ? "searched" : "";
}

void AddParetoPoints(const RunData& data, std::vector<ParetoPoint>& points) {
  for (const StoredArchitecture& a : data.architectures) {
    const ArchitectureRecord& r = a.record;
    const std::string kind = KindOf(data.run, r.role);
    const std::optional<double> ms =
        r.measured_latency_ms ? r.measured_latency_ms : r.estimated_latency_ms;
    if (kind.empty() || !r.accuracy || !ms || !std::isfinite(*ms)) continue;
    ParetoPoint p;
    p.run = data.run.id;
    p.label = RunName(data.run) + (r.role == "final" ? "" : " (" + r.role + ")");
    p.device = r.latency_device.empty() ? data.run.device : r.latency_device;
    p.kind = kind;
    p.latency_ms = *ms;
    p.accuracy = *r.accuracy;
    p.latency_source = r.measured_latency_ms ? "measured" : "estimated";
    points.push_back(std::move(p));
  }
}

std::string Cell(const results::SummaryValues& values, const std::string& name, double scale,
                 const char* format) {
  auto it = values.find(name);
  if (it == values.end() || !std::isfinite(it->second)) return "";
  char text[64];
  std::snprintf(text, sizeof text, format, it->second * scale);
  return text;
}

std::string RunTable(const results::Store& store, const std::vector<RunData>& runs) {
  std::string html =
      "<table><tr><th>run</th><th>name</th><th>strategy</th><th>status</th><th>device</th>"
      "<th>accuracy</th><th>latency ms</th><th>parent</th></tr>\n";
  for (const RunData& d : runs) {
    const results::SummaryValues values = store.Summary(d.run.id);
    const std::string id = std::to_string(d.run.id);
    html += "<tr><td><a href=\"#run-" + id + "\">" + id + "</a></td><td>" + EscapeHtml(d.run.name) +
            "</td><td>" + EscapeHtml(d.run.strategy) + "</td><td>" +
            results::RunStatusName(d.run.status) + "</td><td>" + EscapeHtml(d.run.device) +
            "</td><td>" + Cell(values, "accuracy", 100, "%.2f%%") + "</td><td>" +
            Cell(values, "latency_ms", 1, "%.3f") + "</td><td>" +
            (d.run.parent_run ? std::to_string(*d.run.parent_run) : "") + "</td></tr>\n";
  }
  return html + "</table>\n";
}

Section Overview(const results::Store& store, const std::vector<RunData>& runs) {
  Section overview{"overview", "Overview", RunTable(store, runs), {}};
  std::vector<ParetoPoint> points;
  for (const RunData& d : runs) AddParetoPoints(d, points);
  if (!points.empty()) overview.charts.push_back({"pareto", ParetoChart(points)});
  return overview;
}

// --- a run's charts

std::optional<Spec> Training(const RunData& data) {
  std::vector<SeriesPoint> loss, accuracy;
  for (const auto& m : data.metrics) {
    if (m.name.find('.') != std::string::npos || !std::isfinite(m.value)) continue;
    if (EndsWith(m.name, "loss")) loss.push_back({m.step, m.name, m.value});
    if (EndsWith(m.name, "accuracy")) accuracy.push_back({m.step, m.name, m.value});
  }
  if (loss.empty() && accuracy.empty()) return std::nullopt;
  return TrainingChart(loss, accuracy);
}

std::optional<Spec> Probabilities(const RunData& data) {
  std::vector<ProbabilityCell> cells;
  for (const auto& m : data.metrics) {
    const size_t at = m.name.find(".p.");
    if (at == std::string::npos) continue;
    cells.push_back({m.step, m.name.substr(0, at), m.name.substr(at + 3), m.value});
  }
  if (cells.empty()) return std::nullopt;
  // Rows by block, then candidate, in the order the first epoch reported them.
  std::map<std::string, size_t> first;
  for (const auto& c : cells) first.emplace(c.block + " " + c.candidate, first.size());
  std::stable_sort(cells.begin(), cells.end(), [&first](const auto& a, const auto& b) {
    return first[a.block + " " + a.candidate] < first[b.block + " " + b.candidate];
  });
  return ProbabilityChart(cells);
}

std::optional<Spec> ExpectedCost(const RunData& data) {
  CostCurve curve;
  for (const auto& m : data.metrics) {
    if (m.name == "expected_cost") curve.points.push_back({m.step, "expected", m.value});
    if (m.name == "derived_cost") curve.points.push_back({m.step, "derived", m.value});
  }
  if (curve.points.empty()) return std::nullopt;
  const std::optional<Config> config = StoredConfig(data.run);
  if (config && config->proxyless.target_kind == ProxylessTarget::kFlops) {
    curve.unit = "M MACs";
    for (auto& p : curve.points) p.value *= 1e-6;
    curve.target = config->proxyless.target_mflops;
  } else if (config) {
    curve.target = config->proxyless.target_ms;
  }
  return ExpectedCostChart(curve);
}

std::optional<Spec> Rewards(const RunData& data) {
  if (data.episodes.empty()) return std::nullopt;
  std::vector<EpisodeReward> rewards;
  for (const auto& e : data.episodes) rewards.push_back({e.record.episode, e.record.reward});
  return RewardChart(rewards);
}

// The network AMC pruned: the final network of the run named by amc.source_run.
std::optional<NetSpec> AmcSource(const results::Store& store, const RunData& data) {
  const std::optional<Config> config = StoredConfig(data.run);
  if (!config || config->amc.source_run.empty()) return std::nullopt;
  try {
    const int64_t source = store.ResolveRun(config->amc.source_run);
    const auto final = results::FinalArchitecture(store, source);
    return final ? NetOf(*final) : std::nullopt;
  } catch (const Error&) {
    return std::nullopt;
  }
}

std::optional<Spec> Policies(const results::Store& store, const RunData& data) {
  const bool amc = data.run.strategy == "amc";
  if (!amc && data.run.strategy != "haq") return std::nullopt;
  const std::optional<NetSpec> source = amc ? AmcSource(store, data) : std::nullopt;
  if (amc && !source) return std::nullopt;
  std::vector<PolicyBar> bars;
  for (const auto& [role, policy] :
       {std::pair{"final", "best"}, std::pair{"baseline", "uniform"}}) {
    const StoredArchitecture* a = LastOfRole(data, role);
    const std::optional<NetSpec> net = a ? NetOf(*a) : std::nullopt;
    if (!net) continue;
    for (auto& bar : amc ? PreserveRatios(*source, *net, policy) : BitWidths(*net, policy))
      bars.push_back(std::move(bar));
  }
  if (bars.empty()) return std::nullopt;
  return amc ? PreserveRatioChart(bars) : BitWidthChart(bars);
}

std::optional<Spec> LayerLatencies(const results::Store& store, const RunData& data) {
  const StoredArchitecture* final = LastOfRole(data, "final");
  const std::optional<NetSpec> net = final ? NetOf(*final) : std::nullopt;
  if (!net) return std::nullopt;
  const std::string& device =
      final->record.latency_device.empty() ? data.run.device : final->record.latency_device;
  try {
    const auto breakdown = EstimateLayers(store, *net, device);
    if (!breakdown) return std::nullopt;
    return LayerLatencyChart(breakdown->layers, device, breakdown->total_ms);
  } catch (const Error&) {
    return std::nullopt;  // a stored table this build cannot read
  }
}

std::optional<Spec> Validation(const RunData& data) {
  std::vector<ValidationPoint> points;
  for (const StoredArchitecture& a : data.architectures) {
    const ArchitectureRecord& r = a.record;
    if (r.role != "validation" || !r.measured_latency_ms || !r.estimated_latency_ms) continue;
    points.push_back({r.arch, *r.measured_latency_ms, *r.estimated_latency_ms});
  }
  if (points.empty()) return std::nullopt;
  return ValidationChart(points);
}

std::optional<Spec> Stages(const results::Store& store, const RunData& data) {
  std::map<std::string, int64_t> child_of_stage;
  for (const RunRecord& run : store.ListRuns())
    if (run.parent_run == data.run.id) child_of_stage[StageOf(run)] = run.id;
  std::map<int64_t, double> seconds;
  for (const auto& m : data.metrics)
    if (m.name == "stage_seconds") seconds[m.step] = m.value;
  std::vector<StageRow> rows;
  for (const StoredArchitecture& a : data.architectures) {
    const ArchitectureRecord& r = a.record;
    if (r.role.rfind("stage:", 0) != 0) continue;
    StageRow row{r.step,  r.role.substr(6), std::nullopt, r.accuracy,  r.measured_latency_ms,
                 r.flops, r.params,         r.size_bits,  std::nullopt};
    if (auto it = child_of_stage.find(row.stage); it != child_of_stage.end()) row.run = it->second;
    if (auto it = seconds.find(r.step); it != seconds.end()) row.seconds = it->second;
    rows.push_back(std::move(row));
  }
  if (rows.empty()) return std::nullopt;
  return StageTableChart(rows);
}

Section RunSection(const results::Store& store, const RunData& data) {
  const RunRecord& run = data.run;
  const std::string id = "run-" + std::to_string(run.id);
  Section section{id,
                  RunName(run) + " (" + run.strategy + ", " + results::RunStatusName(run.status) +
                      (run.device.empty() ? "" : ", " + run.device) + ")",
                  "",
                  {}};
  const std::vector<std::pair<std::string, std::optional<Spec>>> charts = {
      {"stages", Stages(store, data)},
      {"training", Training(data)},
      {"probabilities", Probabilities(data)},
      {"expected-cost", ExpectedCost(data)},
      {"rewards", Rewards(data)},
      {"policy", Policies(store, data)},
      {"layer-latency", LayerLatencies(store, data)},
      {"validation", Validation(data)}};
  for (const auto& [name, spec] : charts)
    if (spec) section.charts.push_back({id + "-" + name, *spec});
  return section;
}

}  // namespace

std::string StageOf(const RunRecord& run) {
  if (!run.stage.empty()) return run.stage;  // stored since schema version 3
  static const std::map<std::string, std::string> kStages = {
      {"proxyless", "search"}, {"train", "retrain"}, {"amc", "prune"}, {"haq", "quantize"}};
  auto it = kStages.find(run.strategy);
  return it == kStages.end() ? run.strategy : it->second;
}

std::vector<Section> BuildSections(const results::Store& store, const std::vector<int64_t>& runs) {
  std::vector<RunData> data;
  for (int64_t id : runs)
    data.push_back(
        {store.GetRun(id), store.Metrics(id), store.Architectures(id), store.Episodes(id)});
  std::vector<Section> sections = {Overview(store, data)};
  for (const RunData& d : data) sections.push_back(RunSection(store, d));
  return sections;
}

}  // namespace hwnas::report
