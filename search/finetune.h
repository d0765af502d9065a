// The last step of a compression run (AMC, HAQ): the compressed network's weights are saved
// (artifact request.weights_kind), fine-tuned by the trainer (reporting after
// request.step_offset, metric names and artifacts prefixed by request.prefix), tested, and
// stored as an architecture of request.role. Private to search/.
#pragma once

#include "core/dataset.h"
#include "core/options.h"
#include "search/compression.h"
#include "search/trainer.h"
#include "supernet/network.h"

namespace hwnas::search {

TrainResult FineTuneAndStore(supernet::Network& net, const Config& config, const DataSplits& data,
                             const CompressionContext& context, const FineTuneRequest& request);

}  // namespace hwnas::search
