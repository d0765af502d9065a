// search::RunServices over the results store: latency tables, earlier runs, and nested runs
// through the same lifecycle as the strategy's own. The store is opened on first use, so a
// strategy that fails its checks before needing it leaves no database behind.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "results/store.h"
#include "search/strategy.h"

namespace hwnas::runs {

struct RunOptions {
  std::string db_path = "hwnas.db";
  bool quiet = false;  // no progress output
};

class StoreServices : public search::RunServices {
 public:
  explicit StoreServices(RunOptions options) : options_(std::move(options)) {}

  // The store, opened on first use (`mode` applies to that first opening).
  results::Store& store(results::Store::OpenMode mode = results::Store::OpenMode::kCreate);
  const RunOptions& options() const { return options_; }
  // The stop flag nested runs share with the run that starts them.
  void set_stop_flag(const std::atomic<bool>* flag) { stop_flag_ = flag; }

  latency::DeviceTable OpenTable(const std::string& device, const latency::MeasureOptions& measure,
                                 const std::string& space) override;
  latency::DeviceTable CompleteTable(const SearchSpace& space, const Config& config) override;
  void SaveTable(latency::DeviceTable& table) override;
  search::TrainedNetwork TrainedNetworkOf(const std::string& reference, const Config& config,
                                          const std::string& section) override;
  search::SupernetSource SupernetOf(const std::string& reference) override;
  std::optional<double> StoredMetric(int64_t run, const std::string& name) override;
  int64_t RunNested(const Config& config, const std::function<void(search::RunContext&)>& body,
                    int64_t unfinished) override;
  int64_t RunStage(const search::StageRequest& request) override;
  std::vector<search::StageRun> StagesOf(int64_t parent) override;

  // The run TrainedNetworkOf or SupernetOf resolved since the last call (the run a strategy
  // starts from, stored as its source_run); cleared by the call.
  std::optional<int64_t> TakeResolvedSource() { return std::exchange(resolved_source_, {}); }
  const std::atomic<bool>* stop_flag() const { return stop_flag_; }

 private:
  RunOptions options_;
  std::unique_ptr<results::Store> store_;
  const std::atomic<bool>* stop_flag_ = nullptr;
  std::optional<int64_t> resolved_source_;
};

}  // namespace hwnas::runs
