// The AMC strategy of `hwnas search` (amc_cmd.cpp): channel pruning of a trained network.
#pragma once

#include "cli/commands.h"
#include "core/options.h"

namespace hwnas::cli {

void RunAmcSearch(const Config& config, const GlobalOptions& global);

}  // namespace hwnas::cli
