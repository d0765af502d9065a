// The data-parallel group this process belongs to: torch.distributed's (c10d) Gloo process group
// over a TCP store served by rank 0, with the collectives hwnas uses (gradients averaged in
// buckets, sums, broadcasts from rank 0) and the leader's work orders to the other ranks. As
// torch.distributed keeps a default group, one is installed per process; none = a world of one.
#pragma once

#include <torch/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/errors.h"
#include "dist/world.h"

namespace hwnas::dist {

// Another rank of the job died, was killed or stopped answering for longer than the timeout.
// The run stops as interrupted (exit code 75) and resumes with the same world size.
class RankLost : public Interrupted {
 public:
  explicit RankLost(const std::string& message) : Interrupted(ExitCode::kRankLost, message) {}
};

// Another rank failed and said so (Group::Abort): its exit code, and its message.
class JobAborted : public Error {
 public:
  JobAborted(ExitCode code, const std::string& message) : Error(code, message) {}
};

class Group {
 public:
  // Joins `world`: blocks until every rank has joined (UsageError after `timeout`). A collective
  // or order that waits longer than `timeout` for a rank throws RankLost naming it.
  static std::unique_ptr<Group> Join(const World& world, std::chrono::milliseconds timeout);
  ~Group();
  Group(const Group&) = delete;
  Group& operator=(const Group&) = delete;

  const World& world() const;
  int rank() const { return world().rank; }
  int size() const { return world().world_size; }
  std::string backend() const;  // "gloo"

  // Every defined gradient of `parameters` becomes its mean over the ranks. Gradients are
  // flattened into buckets of about 25 MB, one all-reduce each (as DistributedDataParallel).
  // Every rank must hold gradients for the same parameters.
  void AverageGradients(const std::vector<torch::Tensor>& parameters);
  // `tensor` (contiguous, on the CPU) becomes its sum over the ranks.
  void Sum(torch::Tensor& tensor, const std::string& what);
  // `tensor` (contiguous, on the CPU) becomes rank 0's.
  void Broadcast(torch::Tensor& tensor, const std::string& what);

  // Work orders from the leader: the leader posts them in order, every other rank takes them in
  // the same order, waiting as long as needed (the leader may measure latency for minutes) but
  // RankLost when the leader's store is gone.
  void PostOrder(const std::string& order);
  std::string NextOrder();

  // Tells every other rank that this one failed with `code` and `message`: their waits end with
  // an Error of that code naming this rank, rather than at the timeout. Best effort.
  void Abort(ExitCode code, const std::string& message);

  // Called by every rank last: the others say they leave, and the leader waits for them (up to
  // the timeout) so that its store outlives their last read.
  void Leave();

  double communication_seconds() const;  // spent in collectives since the group was joined
  double communicated_bytes() const;     // all-reduced or broadcast since then (per rank)

 private:
  struct Impl;
  explicit Group(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The process's group (set once the command has joined its world); nullptr for a world of one.
Group* DefaultGroup();
void SetDefaultGroup(std::unique_ptr<Group> group);

}  // namespace hwnas::dist
