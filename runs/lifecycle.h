// The run lifecycle every strategy goes through: checked before anything is stored (Prepare),
// begun in the store, run with Ctrl-C turned into a clean stop, and finished as finished,
// interrupted (with how to resume, where the strategy can) or failed. What `hwnas train`,
// `hwnas search` and `hwnas search resume` do, as library functions.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "runs/store_services.h"

namespace hwnas::runs {

// A config file with key=value overrides, as given on the command line.
struct ConfigSource {
  std::string path;
  std::vector<std::string> overrides;
};

struct RunReport {
  int64_t run_id = 0;
  std::string name;
  std::string summary;  // the strategy's lines about the result
};

// Runs the strategy of the config at `source`. `command` is the hwnas command asked for
// ("train" or "search"); a config whose strategy another command runs is a UsageError.
RunReport StartRun(const std::string& command, const ConfigSource& source,
                   const RunOptions& options);

// Continues an interrupted or failed run of a resumable strategy from its checkpoint. The run
// keeps its stored config; a config given (path not empty) must resolve to the same one.
RunReport ResumeRun(const std::string& run_reference, const ConfigSource& source,
                    const RunOptions& options);

// Runs one stage of a pipeline as a child run (search::RunServices::RunStage).
int64_t RunStage(StoreServices& services, const search::StageRequest& request);

// Runs `body` as run `run_id` (begun already): builds its context, finishes the run by how
// `body` ended, and calls `after` on success and on interruption. Used for nested runs too.
struct RunBody {
  std::function<std::string(search::RunContext&)> run;
  std::function<void()> after;
  bool resumable = false;
  std::string step_unit = "epoch";  // what the run's checkpoint completes (Strategy::step_unit)
};
std::string ExecuteRun(StoreServices& services, int64_t run_id, const RunBody& body,
                       const std::atomic<bool>* stop_requested, bool resume);

}  // namespace hwnas::runs
