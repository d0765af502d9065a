#include "latency/probe.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "latency/stats.h"
#include "latency/table.h"

namespace hwnas::latency {
namespace {

LayerSpec Layer(LayerKind kind, const char* name, int64_t in, int64_t out, int64_t mid,
                int64_t kernel, int64_t stride, int64_t size, bool skip = false) {
  LayerSpec layer;
  layer.kind = kind;
  layer.name = name;
  layer.in_channels = in;
  layer.out_channels = out;
  layer.mid_channels = mid;
  layer.kernel = kernel;
  layer.stride = stride;
  layer.input_size = size;
  layer.skip = skip;
  return layer;
}

NetSpec MakeProbeNet() {
  NetSpec net;
  net.name = kProbeName;
  net.input_channels = 1;
  net.input_size = 28;
  net.num_classes = 10;
  // The operators the searched spaces are made of: a dense stem, expanded depthwise blocks of
  // three kernel sizes, one with an identity shortcut, a 1x1 mix and the classifier.
  net.layers = {Layer(LayerKind::kConv, "stem", 1, 16, 0, 3, 1, 28),
                Layer(LayerKind::kMBConv, "block1", 16, 24, 48, 5, 2, 28),
                Layer(LayerKind::kMBConv, "block2", 24, 24, 144, 3, 1, 14, true),
                Layer(LayerKind::kMBConv, "block3", 24, 40, 72, 7, 2, 14),
                Layer(LayerKind::kConv, "mix", 40, 96, 0, 1, 1, 7),
                Layer(LayerKind::kLogits, "classifier", 96, 10, 0, 1, 1, 7)};
  return net;
}

}  // namespace

const NetSpec& ProbeNet() {
  static const NetSpec net = MakeProbeNet();
  return net;
}

ProbeSummary ProbeLog::Summary() const {
  if (times_.empty()) throw std::logic_error("ProbeLog::Summary of no probe timings");
  std::vector<double> sorted = times_;
  std::sort(sorted.begin(), sorted.end());
  ProbeSummary s;
  s.median_ms = Percentile(sorted, 0.5);
  s.min_ms = sorted.front();
  s.max_ms = sorted.back();
  s.spread_percent = (Percentile(sorted, 0.9) - Percentile(sorted, 0.1)) / s.median_ms * 100.0;
  s.count = static_cast<int64_t>(sorted.size());
  return s;
}

std::optional<ProbeSummary> TableProbe(const LatencyTable& table) {
  const auto properties = nlohmann::json::parse(table.info().properties_json, nullptr, false);
  if (!properties.is_object() || !properties.contains("probe")) return std::nullopt;
  const auto& p = properties["probe"];
  if (!p.is_object() || p.value("name", "") != kProbeName) return std::nullopt;
  ProbeSummary s;
  s.median_ms = p.value("median_ms", 0.0);
  s.min_ms = p.value("min_ms", 0.0);
  s.max_ms = p.value("max_ms", 0.0);
  s.spread_percent = p.value("spread_percent", 0.0);
  s.count = p.value("count", int64_t{0});
  if (!(s.median_ms > 0)) return std::nullopt;
  return s;
}

void SetTableProbe(LatencyTable& table, const ProbeSummary& probe) {
  auto properties = nlohmann::json::parse(table.info().properties_json, nullptr, false);
  if (!properties.is_object()) properties = nlohmann::json::object();
  properties["probe"] = {{"name", kProbeName},     {"median_ms", probe.median_ms},
                         {"min_ms", probe.min_ms}, {"max_ms", probe.max_ms},
                         {"count", probe.count},   {"spread_percent", probe.spread_percent}};
  table.mutable_info().properties_json = properties.dump();
}

std::string RebaseText(const Rebase& rebase) {
  char window[64] = "";
  if (rebase.probes > 0)
    std::snprintf(window, sizeof window, " of %lld over %.1f s",
                  static_cast<long long>(rebase.probes), rebase.seconds);
  char text[200];
  std::snprintf(text, sizeof text,
                "re-based x%.3f (%s %.3f ms now%s, %.3f ms when the table was measured)",
                rebase.factor(), rebase.by_fastest ? "fastest probe" : "probe", rebase.now_probe_ms,
                window, rebase.table_probe_ms);
  std::string result = text;
  if (rebase.stale())
    result +=
        "; warning: the machine runs at a very different speed than when the table was measured: "
        "rebuild it ('hwnas latency build --force')";
  return result;
}

std::string StabilityText(const ProbeSummary& probe) {
  char text[200];
  std::snprintf(text, sizeof text,
                "stability +-%.1f%% (probe %.3f ms, %.3f-%.3f over %lld timings)",
                probe.spread_percent / 2, probe.median_ms, probe.min_ms, probe.max_ms,
                static_cast<long long>(probe.count));
  std::string result = text;
  if (probe.unstable()) {
    std::snprintf(text, sizeof text,
                  "; warning: the machine's speed varied by %.0f%% during the measurement, more "
                  "than the %.0f%% it tolerates: repeat it on a quieter machine",
                  probe.spread_percent, kUnstableSpreadPercent);
    result += text;
  }
  return result;
}

}  // namespace hwnas::latency
