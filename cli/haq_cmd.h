// The HAQ strategy of `hwnas search` (haq_cmd.cpp): mixed-precision bit widths of a trained
// network.
#pragma once

#include "cli/commands.h"
#include "core/options.h"

namespace hwnas::cli {

void RunHaqSearch(const Config& config, const GlobalOptions& global);

}  // namespace hwnas::cli
