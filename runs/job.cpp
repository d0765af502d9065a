#include "runs/job.h"

#include <csignal>

#include "core/errors.h"
#include "dist/group.h"
#include "search/data_parallel.h"

namespace hwnas::runs {
namespace {

// Rank 0 ends the job whichever way its command ended; the others exit with its code.
RunReport Lead(const std::function<RunReport()>& command, dist::Group& group) {
  try {
    RunReport report = command();
    search::PostEndOrder(0);
    group.Leave();
    return report;
  } catch (const Error& e) {
    // The others may be waiting inside a collective: the abort ends their wait now. A stop on
    // request (Ctrl-C) reached them at the same batch already.
    if (e.code() != ExitCode::kInterrupted && !dynamic_cast<const dist::JobAborted*>(&e))
      group.Abort(e.code(), e.what());
    search::PostEndOrder(static_cast<int>(e.code()));
    group.Leave();
    throw;
  } catch (const std::exception& e) {
    group.Abort(ExitCode::kFailure, e.what());
    search::PostEndOrder(static_cast<int>(ExitCode::kFailure));
    group.Leave();
    throw;
  }
}

// Leaves the default group however the command ends (its threads and sockets go before exit).
struct LeaveOnExit {
  ~LeaveOnExit() { dist::SetDefaultGroup(nullptr); }
};

}  // namespace

std::optional<RunReport> RunInJob(const std::function<RunReport()>& command) {
  const dist::World world = dist::WorldFromEnvironment();
  if (!world.distributed()) return command();
  dist::SetDefaultGroup(dist::Group::Join(world, std::chrono::seconds(world.timeout_seconds)));
  const LeaveOnExit leave;
  dist::Group& group = *dist::DefaultGroup();
  if (world.leader()) return Lead(command, group);
  // Ctrl-C and SIGTERM reach every process of a job (torchrun, a scheduler): rank 0 decides when
  // to stop, and the others stop with it at the same batch.
  std::signal(SIGINT, SIG_IGN);
  std::signal(SIGTERM, SIG_IGN);
  int exit_code = 0;
  try {
    exit_code = search::ServeWorkOrders();
  } catch (...) {
    group.Leave();
    throw;
  }
  group.Leave();
  if (exit_code == 0) return std::nullopt;
  throw Error(static_cast<ExitCode>(exit_code), "rank " + std::to_string(world.rank) +
                                                    ": rank 0 ended the job with exit code " +
                                                    std::to_string(exit_code));
}

void CheckResumedWorld(StoreServices& services, int64_t run_id) {
  const int stored = static_cast<int>(services.StoredMetric(run_id, "world_size").value_or(1));
  const int now = dist::WorldFromEnvironment().world_size;
  if (stored == now) return;
  const std::string id = std::to_string(run_id);
  throw UsageError(
      "run " + id + " ran as " + std::to_string(stored) + " process" + (stored == 1 ? "" : "es") +
      " and is resumed by " + std::to_string(now) + "; its data shards and checkpoint belong to " +
      std::to_string(stored) + ", so resume it with the same number: " +
      (stored == 1 ? "hwnas search resume " + id
                   : "hwnas launch --nproc " + std::to_string(stored) + " -- search resume " + id));
}

MetricValues JobMetrics() {
  const dist::Group* group = dist::DefaultGroup();
  if (group == nullptr) return {};
  return {{"world_size", static_cast<double>(group->size())},
          {"world_backend." + group->backend(), 1.0}};
}

}  // namespace hwnas::runs
