// AMC's latency budget on a device: the sum of the device table's entries for a network
// (measuring or computing what the table lacks), mapped to end-to-end latency by a line fitted
// on copies of the network being pruned, uniformly and unevenly.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/netspec.h"
#include "core/options.h"
#include "latency/device_table.h"
#include "latency/estimator.h"
#include "search/amc/channel_groups.h"
#include "search/compression/compression.h"

namespace hwnas::search {

// One factor fitted on the unpruned network alone under-estimates pruned ones, whose fixed
// per-network costs weigh more (measured on fmnist-quickstart: end to end / sum 1.0 unpruned,
// 1.13 at half the FLOPs). Imported tables hold only the shapes they were measured at, so they
// cannot cost pruned channel counts: `table.device` must be set.
struct AmcLatencyCost {
  latency::DeviceTable table;
  double slope = 1, intercept = 0;
  // The probe speed end-to-end timings are expressed at: the table's probe, else the probe timed
  // before the fit; 0 for a device without a probe (plain fastest timings).
  double reference_probe_ms = 0;
  // What the search aims below the budget by: the line's largest relative error on the points it
  // was fitted on (at most kMaxAmcLatencyMargin), so that the networks it finds measure within.
  double margin = 0;
  double Sum(const NetSpec& net);  // adds what the table lacks

 private:
  // One estimator for the thousands of costs an AMC run asks for (made on the first Sum, once
  // `table` is set; the struct stays where it is, behind a shared_ptr).
  std::unique_ptr<latency::LatencyEstimator> estimator_;
};

// End-to-end measurements behind the fit keep the fastest of this many interleaved rounds.
inline constexpr int kAmcLatencyRounds = 3;
inline constexpr double kMaxAmcLatencyMargin = 0.1;

// Fits the line on `net` pruned uniformly at a few ratios and unevenly at random (seeded by
// config.seed), measured end to end on the device. A resumed run reuses its stored line instead
// (AmcLatencyLineMetrics), so that its costs stay those of the uninterrupted run.
void FitAmcLatencyLine(AmcLatencyCost& cost, const Config& config, const NetSpec& net,
                       bool verbose);

// The line as metrics (stored at step 0 when a run starts), and back; nullopt when one is missing.
std::vector<std::pair<std::string, double>> AmcLatencyLineMetrics(const AmcLatencyCost& cost);
bool RestoreAmcLatencyLine(AmcLatencyCost& cost,
                           const std::function<std::optional<double>(const std::string&)>& stored);

// The budget's cost model: the fitted line of the table sum times (1 + margin), and on a measurable
// device the network timed end to end (which decides whether the exported network meets the
// budget). With a reference probe, both the line's points and that timing are taken at its speed:
// every sample over the probe sample timed right after it, times the reference probe.
CostModel AmcLatencyCostModel(const std::shared_ptr<AmcLatencyCost>& cost);

}  // namespace hwnas::search
