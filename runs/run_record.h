// How a run is recorded in the store: its record (name, strategy, resolved config and its hash,
// device, dataset, seed) and the directory its weights and checkpoints go to.
#pragma once

#include <cstdint>
#include <string>

#include "core/options.h"
#include "results/store.h"

namespace hwnas::runs {

results::RunInfo MakeRunInfo(const Config& config);

// <directory of the database>/hwnas-artifacts/run-<id>.
std::string ArtifactDir(const std::string& db_path, int64_t run_id);

// Where an artifact path as stored lies: artifacts are stored relative to the database's
// directory when they lie inside it, absolute otherwise.
std::string ArtifactPath(const std::string& stored, const std::string& db_path);

}  // namespace hwnas::runs
