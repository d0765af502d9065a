#include "dist/group.h"

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <atomic>
#include <csignal>
#include <mutex>
#include <sstream>
#include <thread>

#include "core/timing.h"

namespace hwnas::dist {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int64_t kBucketBytes = 25 << 20;  // DistributedDataParallel's default bucket_cap_mb
constexpr auto kHeartbeat = std::chrono::milliseconds(500);
// How long a rank's heartbeat must stand still to call it stopped. Gloo notices a peer that died
// only at its own timeout, so waits are cut short when a heartbeat stops.
constexpr auto kSilence = std::chrono::milliseconds(5000);
constexpr auto kWaitSlice = std::chrono::milliseconds(250);

// The job's store: served by rank 0, which waits for one `member` connection per rank.
// Further connections (heartbeats, diagnosis) are not members.
c10::intrusive_ptr<c10d::TCPStore> ConnectStore(const World& world, bool member,
                                                std::chrono::milliseconds timeout) {
  c10d::TCPStoreOptions options;
  options.port = static_cast<uint16_t>(world.master_port);
  options.isServer = member && world.leader();
  options.numWorkers = world.world_size;
  options.waitWorkers = member;
  options.timeout = timeout;
  return c10::make_intrusive<c10d::TCPStore>(world.master_addr, options);
}

std::string AliveKey(int rank) { return "hwnas/alive/" + std::to_string(rank); }

}  // namespace

struct Group::Impl {
  World world;
  std::chrono::milliseconds timeout{0};
  c10::intrusive_ptr<c10d::TCPStore> store;
  c10::intrusive_ptr<c10d::ProcessGroup> group;
  // Every rank counts up its key in the store; a rank whose count stands still has stopped.
  c10::intrusive_ptr<c10d::TCPStore> heartbeat_store;
  std::thread heartbeat;
  std::atomic<bool> stopping{false};
  // Written by the heartbeat thread: the ranks silent for kSilence (text), or the store lost.
  std::mutex silent_mutex;
  std::string silent_ranks;
  std::string abort_text;  // "CODE RANK MESSAGE" once a rank aborted the job
  // A collective was given up: Gloo's threads may still wait in it, so the process group is
  // left to the process's end instead of being joined.
  bool abandoned = false;
  int64_t orders_posted = 0;
  int64_t orders_taken = 0;
  double communication_seconds = 0;
  double communicated_bytes = 0;

  void Beat();
  void Watch(std::vector<int64_t>& counts, std::vector<Clock::time_point>& changed);
  std::string SilentRanks();
  std::string StoppedRanks();
  void CheckAbort();
  [[noreturn]] void Lost(const std::string& what, const std::string& cause);
  void Run(const std::string& what, const c10::intrusive_ptr<c10d::Work>& work);
};

void Group::Impl::Beat() {
  std::vector<int64_t> counts(world.world_size, -1);
  std::vector<Clock::time_point> changed(world.world_size, Clock::now());
  while (!stopping.load()) {
    try {
      heartbeat_store->add(AliveKey(world.rank), 1);
      Watch(counts, changed);
    } catch (const std::exception&) {
      const std::lock_guard<std::mutex> lock(silent_mutex);
      silent_ranks = "rank 0 (which serves the job's store at " + world.master_addr + ":" +
                     std::to_string(world.master_port) + ")";
      return;
    }
    std::this_thread::sleep_for(kHeartbeat);
  }
}

// Notes the other ranks whose count has not moved for kSilence.
void Group::Impl::Watch(std::vector<int64_t>& counts, std::vector<Clock::time_point>& changed) {
  std::string silent;
  int count = 0;
  for (int r = 0; r < world.world_size; ++r) {
    if (r == world.rank) continue;
    const int64_t now = heartbeat_store->add(AliveKey(r), 0);
    if (now != counts[r]) counts[r] = now, changed[r] = Clock::now();
    if (Clock::now() - changed[r] > kSilence)
      silent += (count++ == 0 ? "" : ", ") + std::to_string(r);
  }
  std::string aborted;
  if (heartbeat_store->check({"hwnas/abort"})) {
    const std::vector<uint8_t> text = heartbeat_store->get("hwnas/abort");
    aborted.assign(text.begin(), text.end());
  }
  const std::lock_guard<std::mutex> lock(silent_mutex);
  silent_ranks = count == 0 ? "" : (count == 1 ? "rank " : "ranks ") + silent;
  abort_text = aborted;
}

// Throws the Error another rank aborted the job with, if one did.
void Group::Impl::CheckAbort() {
  std::string text;
  {
    const std::lock_guard<std::mutex> lock(silent_mutex);
    text = abort_text;
  }
  if (text.empty()) return;
  abandoned = true;
  std::istringstream fields(text);
  int code = 1, rank = 0;
  fields >> code >> rank;
  std::string message;
  std::getline(fields >> std::ws, message, '\0');
  throw JobAborted(static_cast<ExitCode>(code),
                   "rank " + std::to_string(rank) + " failed: " + message);
}

std::string Group::Impl::SilentRanks() {
  const std::lock_guard<std::mutex> lock(silent_mutex);
  return silent_ranks;
}

// "rank 1" or "ranks 1, 3": the other ranks whose heartbeat stood still for kSilence.
std::string Group::Impl::StoppedRanks() {
  if (std::string silent = SilentRanks(); !silent.empty()) return silent;
  try {
    auto diagnosis = ConnectStore(world, false, std::chrono::seconds(5));
    std::vector<int64_t> before(world.world_size);
    for (int r = 0; r < world.world_size; ++r) before[r] = diagnosis->add(AliveKey(r), 0);
    std::this_thread::sleep_for(kSilence);
    std::string ranks;
    int count = 0;
    for (int r = 0; r < world.world_size; ++r) {
      if (r == world.rank || diagnosis->add(AliveKey(r), 0) != before[r]) continue;
      ranks += (count++ == 0 ? "" : ", ") + std::to_string(r);
    }
    if (count == 0) return "a rank";
    return (count == 1 ? "rank " : "ranks ") + ranks;
  } catch (const std::exception&) {
    return "rank 0 (which serves the job's store at " + world.master_addr + ":" +
           std::to_string(world.master_port) + ")";
  }
}

void Group::Impl::Lost(const std::string& what, const std::string& cause) {
  abandoned = true;
  throw RankLost(StoppedRanks() + " stopped answering during " + what + " (rank " +
                 std::to_string(world.rank) + " of " + std::to_string(world.world_size) +
                 ", timeout " + std::to_string(timeout.count() / 1000) + " s): " + cause);
}

void Group::Impl::Run(const std::string& what, const c10::intrusive_ptr<c10d::Work>& work) {
  const Clock::time_point start = Clock::now();
  // Waited on in slices, so that a rank whose heartbeat stopped ends the wait long before Gloo's
  // own timeout would.
  for (;;) {
    bool done = false;
    try {
      done = work->wait(kWaitSlice);
    } catch (const std::exception&) {
      // The slice ran out, or the collective failed: waiting again on a completed one says which.
      if (work->isCompleted()) {
        try {
          done = work->wait();
        } catch (const std::exception& failure) {
          CheckAbort();
          Lost(what, failure.what());
        }
      }
    }
    if (done) break;
    CheckAbort();
    if (const std::string silent = SilentRanks(); !silent.empty())
      Lost(what, "no heartbeat for " + std::to_string(kSilence.count() / 1000) + " s");
    if (Clock::now() - start > timeout) Lost(what, "no answer within the timeout");
  }
  communication_seconds += SecondsSince(start);
}

Group::Group(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Group::~Group() {
  impl_->stopping = true;
  if (impl_->heartbeat.joinable()) impl_->heartbeat.join();
  if (impl_->abandoned) impl_->group.release();  // never joined: see Impl::abandoned
}

std::unique_ptr<Group> Group::Join(const World& world, std::chrono::milliseconds timeout) {
  // A peer that dies closes its sockets; writing to one must be an error, not a SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  auto impl = std::make_unique<Impl>();
  impl->world = world;
  impl->timeout = timeout;
  const std::string where = world.master_addr + ":" + std::to_string(world.master_port);
  try {
    impl->store = ConnectStore(world, true, timeout);
    auto options = c10d::ProcessGroupGloo::Options::create(timeout);
    // A job on one machine stays on loopback; across machines each rank listens on the
    // interface of its own hostname (Gloo's default device).
    const bool local = world.master_addr == "localhost" || world.master_addr.rfind("127.", 0) == 0;
    options->devices.push_back(local ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                     : c10d::ProcessGroupGloo::createDefaultDevice());
    impl->group = c10::make_intrusive<c10d::ProcessGroupGloo>(impl->store, world.rank,
                                                              world.world_size, options);
    impl->heartbeat_store = ConnectStore(world, false, timeout);
  } catch (const std::exception& e) {
    throw UsageError("rank " + std::to_string(world.rank) + " could not join the job of " +
                     std::to_string(world.world_size) + " processes at " + where + " within " +
                     std::to_string(timeout.count() / 1000) + " s: " + e.what());
  }
  impl->heartbeat = std::thread(&Impl::Beat, impl.get());
  return std::unique_ptr<Group>(new Group(std::move(impl)));
}

const World& Group::world() const { return impl_->world; }
std::string Group::backend() const { return "gloo"; }
double Group::communication_seconds() const { return impl_->communication_seconds; }
double Group::communicated_bytes() const { return impl_->communicated_bytes; }

void Group::AverageGradients(const std::vector<torch::Tensor>& parameters) {
  std::vector<torch::Tensor> grads;
  for (const torch::Tensor& p : parameters)
    if (p.grad().defined()) grads.push_back(p.mutable_grad());
  size_t next = 0;
  while (next < grads.size()) {
    std::vector<torch::Tensor> bucket;
    int64_t bytes = 0;
    while (next < grads.size() && (bucket.empty() || bytes < kBucketBytes)) {
      bytes += grads[next].numel() * grads[next].element_size();
      bucket.push_back(grads[next++]);
    }
    std::vector<torch::Tensor> flat{torch::cat(
        [&] {
          std::vector<torch::Tensor> views;
          for (const torch::Tensor& g : bucket) views.push_back(g.reshape({-1}));
          return views;
        }(),
        0)};
    impl_->Run("the gradient all-reduce", impl_->group->allreduce(flat));
    impl_->communicated_bytes += static_cast<double>(bytes);
    flat[0].div_(size());
    int64_t offset = 0;
    for (torch::Tensor& g : bucket) {
      g.copy_(flat[0].narrow(0, offset, g.numel()).view_as(g));
      offset += g.numel();
    }
  }
}

void Group::Sum(torch::Tensor& tensor, const std::string& what) {
  std::vector<torch::Tensor> tensors{tensor};
  impl_->Run(what, impl_->group->allreduce(tensors));
  impl_->communicated_bytes += static_cast<double>(tensor.numel() * tensor.element_size());
}

void Group::Broadcast(torch::Tensor& tensor, const std::string& what) {
  std::vector<torch::Tensor> tensors{tensor};
  impl_->Run(what, impl_->group->broadcast(tensors));
  impl_->communicated_bytes += static_cast<double>(tensor.numel() * tensor.element_size());
}

void Group::PostOrder(const std::string& order) {
  const std::string key = "hwnas/order/" + std::to_string(impl_->orders_posted++);
  try {
    impl_->store->set(key, std::vector<uint8_t>(order.begin(), order.end()));
  } catch (const std::exception& e) {
    impl_->Lost("a work order", e.what());
  }
}

std::string Group::NextOrder() {
  const std::string key = "hwnas/order/" + std::to_string(impl_->orders_taken++);
  try {
    // Polled, not waited on: the store's wait gives up after the timeout, and the leader may
    // legitimately be busy alone (measuring latency) for longer.
    while (!impl_->store->check({key})) {
      impl_->CheckAbort();
      if (const std::string silent = impl_->SilentRanks(); !silent.empty())
        impl_->Lost("the wait for the next work order",
                    "no heartbeat for " + std::to_string(kSilence.count() / 1000) + " s");
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    const std::vector<uint8_t> bytes = impl_->store->get(key);
    return std::string(bytes.begin(), bytes.end());
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    impl_->Lost("the wait for the next work order", e.what());
  }
}

void Group::Abort(ExitCode code, const std::string& message) {
  const std::string text =
      std::to_string(static_cast<int>(code)) + " " + std::to_string(rank()) + " " + message;
  try {
    impl_->store->set("hwnas/abort", std::vector<uint8_t>(text.begin(), text.end()));
  } catch (const std::exception&) {
    // The store is gone: the others notice that themselves.
  }
}

void Group::Leave() {
  try {
    if (!world().leader()) {
      impl_->store->add("hwnas/left", 1);
      return;
    }
    const Clock::time_point start = Clock::now();
    // A rank that stopped will never say so.
    while (impl_->store->add("hwnas/left", 0) < size() - 1 &&
           Clock::now() - start < impl_->timeout && impl_->SilentRanks().empty())
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } catch (const std::exception&) {
    // Leaving a job whose store is gone: nothing is left to tell.
  }
}

namespace {
std::unique_ptr<Group>& DefaultSlot() {
  static std::unique_ptr<Group> group;
  return group;
}
}  // namespace

Group* DefaultGroup() { return DefaultSlot().get(); }
void SetDefaultGroup(std::unique_ptr<Group> group) { DefaultSlot() = std::move(group); }

}  // namespace hwnas::dist
