// How search/ trains over the ranks of a data-parallel job (dist::DefaultGroup()): each rank
// takes its shard of every batch, losses are weighted so that the averaged gradients are those of
// the whole batch, batch norm is synchronised, and the leader (rank 0) hands the other ranks the
// work they share as work orders. In a world of one every helper is a no-op.
#pragma once

#include <torch/types.h>

#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/batch_pipeline.h"
#include "core/dataset.h"
#include "core/options.h"
#include "core/reporter.h"
#include "supernet/sync_batch_norm.h"

namespace hwnas::search {

// Every rank enters the scope for the same work and runs the same steps; the helpers below act
// only inside it (outside, the leader works alone: measuring latency, pruning, writing).
// Batch norm is synchronised over the ranks while it is open.
class DataParallelScope {
 public:
  DataParallelScope();
  ~DataParallelScope();
  DataParallelScope(const DataParallelScope&) = delete;
  DataParallelScope& operator=(const DataParallelScope&) = delete;

 private:
  std::optional<supernet::BatchNormSync> sync_;
};

int WorldSize();  // ranks sharing the work now: 1 without a job or outside a DataParallelScope
int Rank();       // this rank while the work is shared; 0 otherwise
bool InJob();     // this process is one rank of a job of several
bool IsLeader();  // rank 0, or a process without a job: it alone writes the store and files

// `options` reading this rank's part of every batch.
BatchPipelineOptions Sharded(BatchPipelineOptions options);
// The rank's mean loss over its part, weighted by its share of the whole batch, so that the mean
// over ranks is the mean over the whole batch even when the parts differ in size (or one is
// empty: then zero, with a gradient of zeros).
torch::Tensor WeightedByShare(const torch::Tensor& loss, const Batch& batch);
// Gradients averaged over the ranks (bucketed all-reduce).
void AverageGradients(const std::vector<torch::Tensor>& parameters);
// Whether to stop at this batch: the leader's stop flag (Ctrl-C), which every rank learns at the
// same batch (the others have no flag of their own). One small all-reduce per call in a job.
bool StopRequested(const std::atomic<bool>* stop_flag);
// Seconds spent in collectives and bytes communicated by this rank since it joined (0 alone).
struct Communication {
  double seconds = 0;
  double bytes = 0;
};
Communication CommunicationSoFar();
// The metrics of an epoch in a job (none alone): communication_fraction (the share of the
// epoch's time spent in collectives, waiting for other ranks included) and
// allreduce_mb_per_step (megabytes a rank communicated per step).
MetricValues CommunicationMetrics(const Communication& before, double epoch_seconds, int64_t steps);

// Rank 0's `bytes` on every rank (each rank's string already has rank 0's size).
void BroadcastBytes(std::string& bytes);
// Each value summed over the ranks, in one all-reduce; `what` names it in errors.
std::vector<double> SumOverRanks(std::vector<double> values, const std::string& what);

// Discards everything (the ranks other than the leader report nothing).
class SilentReporter : public Reporter {
 public:
  void OnMetrics(int64_t, const MetricValues&) override {}
  void OnArchitecture(const ArchitectureRecord&) override {}
  void OnEpisode(const EpisodeRecord&) override {}
  void OnArtifact(const std::string&, const std::string&) override {}
};

// Work the leader shares: a kind ("proxyless", "train", ...) and named text fields.
struct WorkOrder {
  std::string kind;
  std::map<std::string, std::string> fields;
  const std::string& at(const std::string& name) const;
};
using WorkOrderHandler = std::function<void(const WorkOrder&)>;
// Registers the handler the other ranks run for orders of `kind` (at static initialisation).
bool RegisterWorkOrder(const std::string& kind, WorkOrderHandler handler);

// The leader's side: every other rank starts `order` now. No-op without a job.
void PostWorkOrder(const WorkOrder& order);
// The leader's last order: the other ranks exit with `exit_code`.
void PostEndOrder(int exit_code);
// The other ranks' side: runs orders until the leader's end order; returns its exit code.
int ServeWorkOrders();

// The data splits of `config` (split with `seed`, config.seed by default) on a rank other than
// the leader, loaded once per data section and seed.
const DataSplits& FollowerData(const Config& config, std::optional<uint64_t> seed = {});

}  // namespace hwnas::search
