// What other strategies need from a search's trained supernet (implemented in proxyless.cpp):
// its weights from a search checkpoint, and batch-norm statistics recomputed for one path.
#pragma once

#include <cstdint>
#include <string>

#include "supernet/supernet.h"

namespace hwnas {
struct Config;
struct Dataset;

namespace search {

// Loads the supernet's weights and alphas from a search checkpoint (see SearchContext). Throws
// DataError for a file that is not a checkpoint or a supernet of another space.
void LoadSupernetFromCheckpoint(supernet::SuperNet& net, const std::string& checkpoint_path);

// The supernet's batch-norm statistics mix every path it trained; this recomputes them for the
// active path on the first `batches` training batches (as Once-for-All does for its subnets).
void RecalibrateBatchNorm(supernet::SuperNet& net, const Dataset& data, const Config& config,
                          int64_t batches);

}  // namespace search
}  // namespace hwnas
