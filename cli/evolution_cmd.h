// The evolution strategy of `hwnas search` (evolution_cmd.cpp): one trained supernet
// specialized to several (device, latency target) pairs.
#pragma once

#include "cli/commands.h"
#include "core/options.h"

namespace hwnas::cli {

void RunEvolutionSearch(const Config& config, const GlobalOptions& global);

}  // namespace hwnas::cli
