// What the compression strategies of `hwnas search` (amc, haq) share in the CLI: the trained
// network they start from, given as a finished run or as a NetSpec file with its weights.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "cli/commands.h"
#include "core/netspec.h"
#include "core/options.h"
#include "results/store.h"
#include "search/compression/compression.h"

namespace hwnas::cli {

struct TrainedNetwork {
  NetSpec net;
  std::string weights;  // absolute path
};

// The final network and weights of run `source_run` (which must have finished), or `net` with
// `weights` when source_run is empty. `section` ("amc", "haq") names the keys in messages.
// Warns when the run trained on another data split than `config` (its held-out images may then
// be training images).
TrainedNetwork ResolveTrainedNetwork(const Config& config, const GlobalOptions& global,
                                     const std::string& source_run, const std::string& weights,
                                     const std::string& section);

// Stores a run for `config` and runs `body` with its context (reporter, artifact directory,
// Ctrl-C flag); the run ends finished, interrupted (the stored episodes stay; compression runs
// keep no checkpoints to resume from) or failed, and `after` runs in every case (e.g. to save
// latency entries measured meanwhile). Returns the run id.
int64_t RunCompression(
    results::Store& store, const Config& config, const GlobalOptions& global,
    const std::function<void(int64_t run, const search::CompressionContext&)>& body,
    const std::function<void()>& after = {});

}  // namespace hwnas::cli
