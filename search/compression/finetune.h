// The last step of a compression run (AMC, HAQ), private to search/: the best policy's network
// (and the uniform baseline's) is scored on the whole held-out split, its weights saved
// (artifact <noun>_weights), fine-tuned by the trainer (reporting after request.step_offset,
// metric names and artifacts prefixed by request.prefix), tested, and stored under request.role.
#pragma once

#include <string>

#include "core/dataset.h"
#include "core/options.h"
#include "search/compression/compression.h"
#include "search/trainer.h"
#include "supernet/network.h"

namespace hwnas::search {

// Where the best policy's network goes: role final, reporting after the episodes.
FineTuneRequest FinalRequest(const CompressionOptions& options, const CompressionContext& context);
// Where the uniform baseline goes: role baseline, in artifact_dir/uniform, reporting after the
// final network's fine-tuning, metrics and artifacts prefixed "uniform_".
FineTuneRequest BaselineRequest(const CompressionOptions& options,
                                const CompressionContext& context);

// Scores `net` on the whole held-out split and reports <prefix><noun>_holdout_accuracy,
// <prefix><noun>_cost and <prefix><noun>_cost_ratio (noun: "pruned", "quantized") at
// request.step_offset, then fine-tunes and stores it with its weights as artifact <noun>_weights.
CompressedNetwork ExportCompressed(supernet::Network& net, double cost, double reference_cost,
                                   const std::string& noun, FineTuneRequest request,
                                   const Config& config, const DataSplits& data,
                                   const CompressionContext& context);

TrainResult FineTuneAndStore(supernet::Network& net, const Config& config, const DataSplits& data,
                             const CompressionContext& context, const FineTuneRequest& request);

}  // namespace hwnas::search
