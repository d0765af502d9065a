// The checkpoint of an evolution run: the accuracy samples scored so far (each stored as the
// run's architecture at its index, so the sample count is the run's step), whether the
// predictor's metrics are stored, and per target its nested run and, once that finished, its
// summary line. A target stopped midway runs again under its run id from its first generation:
// its evolution takes seconds and draws by generation, so it ends as it would have.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/search_space.h"
#include "search/evolution/accuracy_predictor.h"

namespace hwnas::search {

struct TargetProgress {
  int64_t run = 0;    // the target's nested run, 0 before it started
  bool done = false;  // that run finished
  std::string line;   // its line of the run's summary
};

struct EvolutionCheckpoint {
  std::vector<AccuracySample> samples;
  bool fit_reported = false;
  std::vector<TargetProgress> targets;
};

// Samples scored by the checkpoint in `artifact_dir`; nullopt without one. DataError when it
// belongs to another config or cannot be read.
std::optional<int64_t> EvolutionCheckpointSteps(const std::string& artifact_dir,
                                                const std::string& config_hash);
// Written atomically to CheckpointPath(artifact_dir).
void SaveEvolutionCheckpoint(const EvolutionCheckpoint& checkpoint, const std::string& artifact_dir,
                             const std::string& config_hash);
// DataError naming the file when it is unreadable, of another config or not of `space` and
// `targets` targets.
EvolutionCheckpoint LoadEvolutionCheckpoint(const std::string& artifact_dir,
                                            const std::string& config_hash,
                                            const SearchSpace& space, size_t targets);

}  // namespace hwnas::search
