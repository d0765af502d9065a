// What the AMC and HAQ strategies share around a run: the trained network they compress (a
// NetSpec file with its weights, `net` + SECTION.weights, or the final network of a finished
// run, SECTION.source_run).
#pragma once

#include <string>

#include "core/options.h"
#include "search/compression/compression.h"
#include "search/strategy.h"

namespace hwnas::search {

TrainedNetwork ResolveTrainedNetwork(const Config& config, RunServices& services,
                                     const std::string& source_run, const std::string& weights,
                                     const std::string& section);

}  // namespace hwnas::search
