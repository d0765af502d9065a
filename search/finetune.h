// The first and last steps of a compression run (AMC, HAQ), private to search/: starting the
// agent, and storing the result: the compressed network's weights are saved (artifact
// request.weights_kind), fine-tuned by the trainer (reporting after request.step_offset, metric
// names and artifacts prefixed by request.prefix), tested, and stored under request.role.
#pragma once

#include "core/dataset.h"
#include "core/options.h"
#include "search/compression.h"
#include "search/rl/ddpg.h"
#include "search/trainer.h"
#include "supernet/network.h"

namespace hwnas::search {

// The start of an AMC or HAQ run: checks the context (reporter and artifact directory are
// required), seeds LibTorch and sets the thread count from `config`, and returns the agent
// seeded by config.seed.
rl::DdpgAgent StartAgent(const Config& config, const DdpgOptions& agent, int64_t state_size,
                         int64_t steps, const CompressionContext& context, const std::string& who);

TrainResult FineTuneAndStore(supernet::Network& net, const Config& config, const DataSplits& data,
                             const CompressionContext& context, const FineTuneRequest& request);

}  // namespace hwnas::search
