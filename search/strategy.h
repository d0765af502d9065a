// The strategy seam: every search strategy (train, proxyless, amc, haq, evolution) implements
// search::Strategy and registers a factory under its name (the names core/strategies.h lists).
// A strategy sees the store's latency tables and earlier runs only through RunServices, which
// runs/ implements; the run lifecycle around it (begin, finish, resume) lives in runs/ too.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/netspec.h"
#include "core/options.h"
#include "core/reporter.h"
#include "core/search_space.h"
#include "latency/device_table.h"
#include "measure/torch_device.h"
#include "search/trainer.h"

namespace hwnas::search {

// A finished run's final network and its weights file (AMC and HAQ start from one).
struct TrainedNetwork {
  NetSpec net;
  std::string weights;
};

// A finished proxyless run whose supernet checkpoint evolution specializes, with its config.
struct SupernetSource {
  int64_t run = 0;
  Config config;
  std::string checkpoint;
};

struct RunContext;

// One stage of a pipeline to run as a child run of `parent` (strategy pipeline).
struct StageRequest {
  std::string stage;  // "search", "retrain", "prune", "quantize" or "export"
  Config config;      // the stage's config: its strategy, with its input set
  int64_t parent = 0;
  std::optional<int64_t> source_run;  // the run whose network the stage starts from
  int64_t resume_run = 0;  // > 0: continue this interrupted child of a resumable strategy
};

// A child run of a pipeline as the store keeps it.
struct StageRun {
  std::string stage;
  int64_t run = 0;
  std::string status;  // "finished", "interrupted", "failed", "running"
  std::string strategy;
  std::optional<ArchitectureRecord> final_arch;
  double seconds = 0;
};

// What a strategy needs from outside search/: latency tables kept in the store, earlier runs,
// and further runs of its own. Implemented over results::Store by runs/; a strategy never sees
// SQLite.
class RunServices {
 public:
  virtual ~RunServices() = default;
  // The device's table for `space` ("" for single networks): the stored one, or a new empty one
  // for a measurable or model device. Throws UsageError naming the known devices.
  virtual latency::DeviceTable OpenTable(const std::string& device,
                                         const latency::MeasureOptions& measure,
                                         const std::string& space) = 0;
  // OpenTable completed by measuring (or computing) every candidate of `space` the table lacks,
  // calibrated and saved; a table-only device comes back as stored.
  virtual latency::DeviceTable CompleteTable(const SearchSpace& space, const Config& config) = 0;
  // Stores a new table, or the entries added since it was opened.
  virtual void SaveTable(latency::DeviceTable& table) = 0;
  // The final network and weights of the finished run `reference` (`section`.source_run).
  virtual TrainedNetwork TrainedNetworkOf(const std::string& reference, const Config& config,
                                          const std::string& section) = 0;
  virtual SupernetSource SupernetOf(const std::string& reference) = 0;
  // A metric the run stored at its start (e.g. the latency re-base factor of a resumed search).
  virtual std::optional<double> StoredMetric(int64_t run, const std::string& name) = 0;
  // Starts and finishes one more run with `config` around `body`, as the lifecycle does for the
  // strategy's own run. Returns its id. `unfinished` != 0 (a resumed strategy's nested run that
  // was stopped) runs again under that id, its earlier records removed, instead of a new run.
  virtual int64_t RunNested(const Config& config, const std::function<void(RunContext&)>& body,
                            int64_t unfinished = 0) = 0;
  // Runs a pipeline stage through the whole lifecycle of its strategy (checked, begun as a child
  // with its stage and source, run, finished; or resumed from its checkpoint), under the stop
  // flag of the run that asks. The export stage writes request.config.pipeline.export_formats of
  // the source run's final network. Returns the child's id; rethrows how the child ended.
  virtual int64_t RunStage(const StageRequest& request) = 0;
  // The child runs of `parent`, oldest first.
  virtual std::vector<StageRun> StagesOf(int64_t parent) = 0;
};

// What a run gets while it runs.
struct RunContext {
  int64_t run_id = 0;
  Reporter* reporter = nullptr;
  bool show_progress = true;
  std::string artifact_dir;  // where the run's weights and checkpoints go
  // Set by a signal handler; checked between batches or episodes, then Interrupted is thrown.
  const std::atomic<bool>* stop_requested = nullptr;
  bool resume = false;  // continue from the run's checkpoint
  RunServices* services = nullptr;
};

// The trainer's context for training inside a run: its reporter, progress, artifacts and stop flag.
TrainContext TrainContextOf(const RunContext& context);

class Strategy {
 public:
  virtual ~Strategy() = default;

  // Checks everything that can fail on bad input, before the run is stored, and loads what the
  // run needs. `resumed_run` is the run being resumed, or 0 for a new one.
  virtual void Prepare(const Config& config, RunServices& services, bool show_progress,
                       int64_t resumed_run) = 0;
  // The config the run is stored with (some strategies resolve parts of it from a source run).
  virtual const Config& StoredConfig() const = 0;
  // Runs and reports through context.reporter; returns the lines printed below
  // "run N finished: NAME".
  virtual std::string Run(RunContext& context) = 0;
  // The data the run trains on (stored with the run before Run starts); nullopt for none.
  virtual std::optional<DatasetRecord> Data() const { return std::nullopt; }
  // Called when Run returned or was interrupted: keep what the run measured on the way.
  virtual void AfterRun(RunServices& services) {}

  // Resumable strategies keep a checkpoint under the run's artifact directory.
  virtual bool resumable() const { return false; }
  // Steps (epochs, episodes, ...) the checkpoint in `artifact_dir` completed; nullopt without a
  // checkpoint. Throws DataError when it belongs to another config.
  virtual std::optional<int64_t> CheckpointSteps(const std::string& artifact_dir,
                                                 const std::string& config_hash) const {
    return std::nullopt;
  }
  virtual int64_t total_steps() const { return 0; }
  // What a step is, singular, in messages: "resuming run 3 after 2 of 5 epochs".
  virtual std::string step_unit() const { return "epoch"; }
};

using StrategyFactory = std::function<std::unique_ptr<Strategy>()>;

// Registers `factory` under `name` at static initialization; returns true so that a file can
// register with `const bool registered = RegisterStrategy(...)`.
bool RegisterStrategy(const std::string& name, StrategyFactory factory);
// A new instance of the strategy `name`; UsageError listing the registered names otherwise.
std::unique_ptr<Strategy> MakeStrategy(const std::string& name);
std::vector<std::string> RegisteredStrategies();

}  // namespace hwnas::search
