// Delivering a searched network that meets its latency target as measured, not only as
// estimated. The derived architecture is timed end to end on the device (fastest of interleaved
// rounds, with the reference probe around every timing, timed again while the probe shows the
// machine in a slow phase); when it measures over the target the
// search's next most probable cheaper choices are taken one block at a time, and when it measures
// far under, costlier ones, until a network measures inside [lower x target, target].
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/netspec.h"
#include "core/options.h"
#include "core/reporter.h"
#include "core/search_space.h"
#include "latency/builder.h"
#include "latency/device.h"
#include "latency/probe.h"
#include "latency/table.h"

namespace hwnas::search {

struct TargetCheckOptions {
  double target_ms = 1.0;
  // A network under lower_fraction x target dodges the target rather than meets it: costlier
  // choices are tried while they are predicted to stay under the target.
  double lower_fraction = 0.85;
  // Predictions aim this fraction under the target (or over the lower bound), so that timing
  // noise does not push a just-fitting network over.
  double margin = 0.03;
  int64_t max_measurements = 8;   // end-to-end timings of distinct networks, at most
  latency::BuildOptions measure;  // rounds and seed of each timing
  // A timing whose probe ran more than slow_phase slower than the quietest probe known (the
  // table's, re-based at the search's start, or any of this check's) came from one of the VM's
  // slow phases: the network is timed again after a pause, up to retimes_per_network times and
  // retimes_per_check in all, and its fastest timing kept.
  double slow_phase = 0.10;
  int64_t retimes_per_network = 4;
  int64_t retimes_per_check = 12;
  int64_t retime_pause_ms = 2000;
};

// One network the check timed.
struct TimedNetwork {
  Arch arch;
  double estimated_ms = 0;  // from the table
  double measured_ms = 0;   // end to end, now: the fastest of its timings
  int64_t retimes = 0;      // timed again this many times, in a slow phase of the machine
};

struct DeliveredNetwork {
  Arch arch;
  NetSpec net;
  double estimated_ms = 0;  // table estimate (sum x network scale)
  double rebased_ms = 0;    // the estimate x probe around its timing / the table's probe
  double measured_ms = 0;
  bool met = false;                            // measured_ms <= target
  bool in_band = false;                        // and >= lower_fraction x target
  bool adjusted = false;                       // differs from the derived architecture
  std::optional<latency::ProbeSummary> probe;  // every probe timing of the check
  std::optional<double> table_probe_ms;        // the table's build probe
  std::vector<TimedNetwork> timed;             // in the order timed; the derived one first
};

// `probabilities`: softmax(alpha) per block, in the order of CandidateNames (the search's
// preference); the derived architecture is normally their argmax. `table` must hold every
// candidate's entry (it is not extended). Deterministic up to the timings.
DeliveredNetwork DeliverWithinTarget(const SearchSpace& space, const Arch& derived,
                                     const std::vector<std::vector<double>>& probabilities,
                                     const latency::LatencyTable& table, latency::Device& device,
                                     const TargetCheckOptions& options);

// "0.962 ms measured (target 1 ms: met; estimate 0.941 ms, re-based 0.957 ms)".
std::string DeliveredText(const DeliveredNetwork& delivered, const TargetCheckOptions& options);

// The space's cheapest network as its table prices it, timed end to end. A table measured while
// the machine was busy prices every network too high until it is measured again, and the probe
// re-base misses it when the probe ran in the quiet moments between the layers (docs/
// benchmarks.md, "Batch norm folded": a cheapest network estimated at 0.65-0.71 ms ran in 0.43).
struct CheapestNetwork {
  Arch arch;
  double estimated_ms = 0;  // from the table (sum x network scale)
  double measured_ms = 0;   // end to end, at the speed of the table's probe where both have one
  double ratio() const { return measured_ms / estimated_ms; }  // under 1: the table is too slow
};
// By the table alone (measured_ms 0), then timed.
CheapestNetwork CheapestByTable(const SearchSpace& space, const latency::LatencyTable& table);
CheapestNetwork TimeCheapestNetwork(const SearchSpace& space, const latency::LatencyTable& table,
                                    latency::Device& device, const latency::BuildOptions& measure);

// How far under its estimate the cheapest network must measure before a search prices networks
// by that measurement rather than by the table: beyond timing noise on a quiet machine.
inline constexpr double kCheapestNetworkTolerance = 0.9;

struct ProxylessResult;

// The check as a proxyless search runs it on a measurable device: the config's target and seed,
// a line on stderr per network timed (when verbose), and its figures reported as metrics at the
// last search epoch (delivered_measured_ms, delivered_estimated_ms, latency_target_met,
// networks_timed, probe_ms, probe_spread_percent, machine_unstable).
struct Delivery {
  DeliveredNetwork network;
  TargetCheckOptions options;
  std::string Text() const { return DeliveredText(network, options); }
};
Delivery DeliverSearchedNetwork(const SearchSpace& space, const Config& config,
                                const ProxylessResult& found, const latency::LatencyTable& table,
                                latency::Device& device, Reporter& reporter, bool verbose);

}  // namespace hwnas::search
