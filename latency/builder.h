// Fills a latency table by measuring layers on a device, and calibrates how whole networks
// relate to the sum of their layers. Every item is measured in several interleaved rounds, each
// in a new shuffled order, and keeps its fastest round: on a shared or virtual machine, slow
// periods (another tenant, a migrated vCPU) only ever add time, and they hit different items
// in different rounds. On a measurable device every timed sample is paired with a sample of the
// reference probe (latency/probe.h) taken right after it, and an item is taken relative to the
// probe: a table is kept at the speed of its build's probe, whatever the machine did meanwhile.
// Nothing is stored here; the caller saves the table.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "latency/device.h"
#include "latency/probe.h"
#include "latency/table.h"

namespace hwnas::latency {

struct BuildOptions {
  uint64_t seed = 1;   // order of measurement
  int64_t rounds = 3;  // interleaved measurements per item; the fastest is kept
  bool show_progress = true;
  bool probe = true;  // pair every sample with a probe sample (where the device has a probe)
};

struct BuildReport {
  int64_t measured = 0;  // entries added now
  int64_t reused = 0;    // entries the table already had
  double seconds = 0;
  double max_cv = 0;  // largest coefficient of variation among the entries measured now
  std::vector<std::string> unstable_keys;
  std::optional<ProbeSummary> probe;  // the probe during this build (measurable devices)
};

BuildReport FillTable(Device& device, const std::vector<LayerSpec>& layers, LatencyTable& table,
                      const BuildOptions& options);

// End-to-end timings of networks, in input order: each network's fastest round (relative to the
// probe when paired) as measured, with the machine's speed during that round.
struct NetworkTimings {
  std::vector<double> ms;  // median of the round, as measured
  // The probe time matching that median (median / median of sample-to-probe ratios); empty
  // without probes.
  std::vector<double> probe_ms;
  std::optional<ProbeSummary> probe;  // the median probe sample of every round
  ProbeLog probe_log;                 // the same, in the order taken

  // ms[i] as it would have measured at the speed of `reference_probe_ms` (ms[i] without probes).
  double AtProbe(size_t i, double reference_probe_ms) const;
};

NetworkTimings MeasureNetworks(Device& device, const std::vector<NetSpec>& nets,
                               const BuildOptions& options, const std::string& label);

// Networks run slower than the sum of their layers timed alone: timed alone, a layer keeps its
// weights and activations in the L2 cache from call to call; inside a network the other layers
// evict them. Returns the median ratio measured / sum over `nets` (complete table required),
// with each network taken at the speed of the table's probe when both have one.
double CalibrateNetworkScale(Device& device, const std::vector<NetSpec>& nets,
                             const LatencyTable& table, const BuildOptions& options);

// How RebaseNow times the probe: at least `min_probes` times and for at least `seconds`, at most
// `max_probes` times (a device that answers at once must not spin for `seconds`).
struct RebaseProbing {
  int min_probes = 10;
  double seconds = 2.0;
  int max_probes = 1000;
};

// The machine's speed now against the table's build. On shared machines the probe runs up to
// twice as slow in bursts of up to a few seconds (docs/benchmarks.md, "Start-up re-base"): the
// fastest probe over a window longer than a burst is compared with the fastest of the build,
// where a median over a fraction of a second followed the burst. nullopt when either has no probe.
std::optional<Rebase> RebaseNow(Device& device, const LatencyTable& table,
                                const RebaseProbing& probing = {});

// A copy of `table` with every entry and its probe times rebase.factor(): the table as this
// machine would measure it at its current speed.
LatencyTable RebasedTable(const LatencyTable& table, const Rebase& rebase);
// A copy of `table` with every entry times `factor`, its properties (probe included) as they were.
LatencyTable ScaledTable(const LatencyTable& table, double factor);

// The entry's numbers times `factor` (a probe ratio).
LatencyEntry ScaledEntry(LatencyEntry entry, double factor);

}  // namespace hwnas::latency
