// A command that starts or resumes runs, inside the data-parallel job its environment describes
// (torchrun's variables, dist/world.h): every rank joins; rank 0 runs the command, alone writes
// the store, checkpoints and files, and hands the others the training they share as work
// orders; the others follow until rank 0 ends. In a world of one, just the command.
#pragma once

#include <functional>
#include <optional>

#include "runs/lifecycle.h"

namespace hwnas::runs {

// Runs `command` on rank 0 and returns its report; nullopt on the other ranks once rank 0 ended
// well. Rank 0's errors are rethrown there; the others throw an Error with rank 0's exit code.
std::optional<RunReport> RunInJob(const std::function<RunReport()>& command);

// The world size a run stored when it ran as a job ("world_size", absent = 1) must be the
// world's now: UsageError naming both and the launch command otherwise.
void CheckResumedWorld(StoreServices& services, int64_t run_id);

// Metrics every run of a job stores at step 0: world_size and world_backend.<name> = 1.
MetricValues JobMetrics();

}  // namespace hwnas::runs
