// Chart records read from stored networks (NetSpec JSON): an AMC run's preserve ratio per layer
// and a HAQ run's bits per operator, each for the best and the uniform policy, and a network's
// latency per layer estimated from a stored latency table of its device (latency/estimator.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/netspec.h"
#include "report/charts.h"
#include "results/store.h"

namespace hwnas::report {

// Preserve ratios of `pruned` against `source` (the network before pruning): per convolution
// its output channels, per inverted-residual block its expanded and output channels.
std::vector<PolicyBar> PreserveRatios(const NetSpec& source, const NetSpec& pruned,
                                      const std::string& policy);

// Weight and activation bits of every quantizable operator ("layer.op").
std::vector<PolicyBar> BitWidths(const NetSpec& net, const std::string& policy);

struct LayerBreakdown {
  std::vector<LayerLatency> layers;
  double total_ms = 0;
};
// The newest stored table of `device` that holds every layer of `net` estimates it; nullopt
// when no table does (a table is never completed here: the report only reads).
std::optional<LayerBreakdown> EstimateLayers(const results::Store& store, const NetSpec& net,
                                             const std::string& device);

}  // namespace hwnas::report
