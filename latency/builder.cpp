#include "latency/builder.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>

#include "core/progress.h"
#include "core/rng.h"
#include "core/timing.h"
#include "latency/estimator.h"
#include "latency/op_key.h"

namespace hwnas::latency {
namespace {

// One layer per key the table lacks.
std::vector<std::pair<std::string, LayerSpec>> LayersToMeasure(const std::vector<LayerSpec>& layers,
                                                               const LatencyTable& table,
                                                               int64_t* reused) {
  std::vector<std::pair<std::string, LayerSpec>> todo;
  std::vector<std::string> seen;
  for (const LayerSpec& layer : layers) {
    std::string key = OpKey(layer);
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
    seen.push_back(key);
    if (table.Contains(key)) {
      ++*reused;
    } else {
      todo.emplace_back(std::move(key), layer);
    }
  }
  return todo;
}

// One item's kept round: its statistics as measured and the speed of the machine while they
// were taken, as the probe time that matches their median (median / probe_ratio); 0: unpaired.
struct Timed {
  LatencyStats stats;
  double probe_ms = 0;
  double Relative() const { return probe_ms > 0 ? stats.median / probe_ms : stats.median; }
};

Timed FromPaired(const LatencyStats& stats) {
  return {stats, stats.probe_ratio > 0 ? stats.median / stats.probe_ratio : 0.0};
}

// Calls measure(i) for every item in `rounds` rounds, each in a new seeded random order, and
// keeps per item the round with the lowest median relative to the probe (the lowest median when
// unpaired). Every paired measurement's median probe sample goes to `log`.
template <typename Measure>
std::vector<Timed> FastestOfRounds(size_t items, const BuildOptions& options,
                                   const std::string& label, Measure measure, ProbeLog& log) {
  std::vector<Timed> best(items);
  std::vector<size_t> order(items);
  for (size_t i = 0; i < items; ++i) order[i] = i;
  ProgressBar bar(label, static_cast<int64_t>(items) * options.rounds, options.show_progress);
  int64_t done = 0;
  for (int64_t round = 0; round < options.rounds; ++round) {
    Rng rng(DeriveSeed(options.seed, rng_stream::kMeasureOrder, static_cast<uint64_t>(round)));
    Shuffle(order, rng);
    for (size_t i : order) {
      const Timed timed = FromPaired(measure(i));
      if (timed.stats.probe_ms > 0) log.Add(timed.stats.probe_ms);
      if (round == 0 || timed.Relative() < best[i].Relative()) best[i] = timed;
      bar.Update(++done,
                 "round " + std::to_string(round + 1) + "/" + std::to_string(options.rounds));
    }
  }
  bar.Finish("");
  return best;
}

}  // namespace

LatencyEntry ScaledEntry(LatencyEntry entry, double factor) {
  entry.mean *= factor;
  entry.median *= factor;
  entry.stddev *= factor;
  entry.p10 *= factor;
  entry.p90 *= factor;
  return entry;
}

std::optional<Rebase> RebaseNow(Device& device, const LatencyTable& table,
                                const RebaseProbing& probing) {
  const std::optional<ProbeSummary> reference = TableProbe(table);
  if (!reference) return std::nullopt;
  ProbeLog log;
  const auto start = std::chrono::steady_clock::now();
  double seconds = 0;
  while (
      log.times().size() < static_cast<size_t>(probing.max_probes) &&
      (log.times().size() < static_cast<size_t>(probing.min_probes) || seconds < probing.seconds)) {
    const std::optional<double> ms = device.TimeProbe();
    if (!ms) return std::nullopt;
    log.Add(*ms);
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  const ProbeSummary now = log.Summary();
  // A table probe from before the fastest was kept is compared by its median.
  const bool by_fastest = reference->min_ms > 0;
  return Rebase{by_fastest ? reference->min_ms : reference->median_ms,
                by_fastest ? now.min_ms : now.median_ms, now.count, seconds, by_fastest};
}

LatencyTable ScaledTable(const LatencyTable& table, double factor) {
  LatencyTable scaled(table.info());
  for (const auto& [key, entry] : table.entries()) scaled.Set(key, ScaledEntry(entry, factor));
  return scaled;
}

LatencyTable RebasedTable(const LatencyTable& table, const Rebase& rebase) {
  LatencyTable rebased = ScaledTable(table, rebase.factor());
  if (std::optional<ProbeSummary> probe = TableProbe(table)) {
    probe->median_ms *= rebase.factor();
    probe->min_ms *= rebase.factor();
    probe->max_ms *= rebase.factor();
    SetTableProbe(rebased, *probe);
  }
  return rebased;
}

double NetworkTimings::AtProbe(size_t i, double reference_probe_ms) const {
  if (probe_ms.empty() || !(probe_ms[i] > 0) || !(reference_probe_ms > 0)) return ms[i];
  return ms[i] * reference_probe_ms / probe_ms[i];
}

BuildReport FillTable(Device& device, const std::vector<LayerSpec>& layers, LatencyTable& table,
                      const BuildOptions& options) {
  BuildReport report;
  const auto start = std::chrono::steady_clock::now();
  const bool fresh = table.empty();
  const auto todo = LayersToMeasure(layers, table, &report.reused);
  ProbeLog log;
  const auto timed = FastestOfRounds(
      todo.size(), options, "measuring " + device.name(),
      [&](size_t i) {
        return options.probe ? device.MeasurePaired(todo[i].second)
                             : device.Measure(todo[i].second);
      },
      log);
  if (!log.empty()) report.probe = log.Summary();
  // Entries are kept at the speed of the table's probe: the one it was first built at, or, for a
  // new table, this build's median. A table built before probes existed is completed as before.
  std::optional<ProbeSummary> reference = TableProbe(table);
  if (!reference && fresh && report.probe) SetTableProbe(table, *report.probe);
  if (!reference && fresh) reference = report.probe;
  for (size_t i = 0; i < todo.size(); ++i) {
    const LatencyStats& measured = timed[i].stats;
    LatencyEntry entry = measured;
    if (reference && timed[i].probe_ms > 0)
      entry = ScaledEntry(entry, reference->median_ms / timed[i].probe_ms);
    table.Set(todo[i].first, entry);
    report.max_cv = std::max(report.max_cv, entry.cv());
    if (measured.unstable) report.unstable_keys.push_back(todo[i].first);
  }
  report.measured = static_cast<int64_t>(todo.size());
  report.seconds = SecondsSince(start);
  return report;
}

NetworkTimings MeasureNetworks(Device& device, const std::vector<NetSpec>& nets,
                               const BuildOptions& options, const std::string& label) {
  ProbeLog log;
  const auto timed = FastestOfRounds(
      nets.size(), options, label,
      [&](size_t i) {
        return options.probe ? device.MeasureNetworkPaired(nets[i])
                             : device.MeasureNetwork(nets[i]);
      },
      log);
  NetworkTimings timings;
  for (const Timed& t : timed) {
    timings.ms.push_back(EntryMs(t.stats));
    if (!log.empty()) timings.probe_ms.push_back(t.probe_ms);
  }
  if (!log.empty()) timings.probe = log.Summary();
  timings.probe_log = log;
  return timings;
}

double CalibrateNetworkScale(Device& device, const std::vector<NetSpec>& nets,
                             const LatencyTable& table, const BuildOptions& options) {
  const NetworkTimings measured = MeasureNetworks(device, nets, options, "calibrating");
  const std::optional<ProbeSummary> reference = TableProbe(table);
  std::vector<double> ratios;
  for (size_t i = 0; i < nets.size(); ++i) {
    double sum = 0;
    for (const auto& key : NetOpKeys(nets[i])) sum += EntryMs(table.At(key));
    ratios.push_back(measured.AtProbe(i, reference ? reference->median_ms : 0) / sum);
  }
  std::nth_element(ratios.begin(), ratios.begin() + ratios.size() / 2, ratios.end());
  return ratios[ratios.size() / 2];
}

}  // namespace hwnas::latency
