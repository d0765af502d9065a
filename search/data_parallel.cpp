#include "search/data_parallel.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "core/config.h"
#include "core/errors.h"
#include "dist/group.h"

namespace hwnas::search {
namespace {

std::map<std::string, WorkOrderHandler>& Handlers() {
  static std::map<std::string, WorkOrderHandler> handlers;
  return handlers;
}

// kind, then per field: name, byte count, bytes (each on its own line).
std::string Encode(const WorkOrder& order) {
  std::string text = order.kind + "\n";
  for (const auto& [name, value] : order.fields)
    text += name + "\n" + std::to_string(value.size()) + "\n" + value + "\n";
  return text;
}

WorkOrder Decode(const std::string& text) {
  WorkOrder order;
  size_t at = text.find('\n');
  order.kind = text.substr(0, at);
  while (++at < text.size()) {
    const size_t name_end = text.find('\n', at);
    const size_t size_end = text.find('\n', name_end + 1);
    const size_t size = std::stoul(text.substr(name_end + 1, size_end - name_end - 1));
    order.fields[text.substr(at, name_end - at)] = text.substr(size_end + 1, size);
    at = size_end + 1 + size;
  }
  return order;
}

int& OpenScopes() {
  static int scopes = 0;
  return scopes;
}

// The job's group while every rank runs the same work (inside a DataParallelScope).
dist::Group* SharedWork() { return OpenScopes() > 0 ? dist::DefaultGroup() : nullptr; }

}  // namespace

int WorldSize() { return SharedWork() ? SharedWork()->size() : 1; }
int Rank() { return SharedWork() ? SharedWork()->rank() : 0; }
bool InJob() { return dist::DefaultGroup() != nullptr; }
bool IsLeader() { return dist::DefaultGroup() == nullptr || dist::DefaultGroup()->rank() == 0; }

BatchPipelineOptions Sharded(BatchPipelineOptions options) {
  if (dist::Group* group = SharedWork()) {
    options.shard_index = group->rank();
    options.shard_count = group->size();
  }
  return options;
}

torch::Tensor WeightedByShare(const torch::Tensor& loss, const Batch& batch) {
  if (WorldSize() == 1 || batch.global_size == 0) return loss;
  // A rank whose part is empty (a last batch smaller than the world) still runs the backward
  // pass, whose batch-norm all-reduces the others wait for; its mean loss over no images is NaN.
  if (batch.size == 0) return loss.nan_to_num(0.0) * 0.0;
  return loss * (static_cast<double>(batch.size) * WorldSize() / batch.global_size);
}

void AverageGradients(const std::vector<torch::Tensor>& parameters) {
  if (dist::Group* group = SharedWork()) group->AverageGradients(parameters);
}

Communication CommunicationSoFar() {
  const dist::Group* group = dist::DefaultGroup();
  if (group == nullptr) return {};
  return {group->communication_seconds(), group->communicated_bytes()};
}

MetricValues CommunicationMetrics(const Communication& before, double epoch_seconds,
                                  int64_t steps) {
  if (SharedWork() == nullptr) return {};
  const Communication now = CommunicationSoFar();
  return {
      {"communication_fraction", (now.seconds - before.seconds) / std::max(epoch_seconds, 1e-9)},
      {"allreduce_mb_per_step", (now.bytes - before.bytes) / 1e6 / std::max<int64_t>(steps, 1)}};
}

void BroadcastBytes(std::string& bytes) {
  dist::Group* group = SharedWork();
  if (group == nullptr || bytes.empty()) return;
  torch::Tensor buffer = torch::empty({static_cast<int64_t>(bytes.size())}, torch::kUInt8);
  if (group->rank() == 0) std::memcpy(buffer.data_ptr(), bytes.data(), bytes.size());
  group->Broadcast(buffer, "a network's broadcast");
  std::memcpy(bytes.data(), buffer.data_ptr(), bytes.size());
}

bool StopRequested(const std::atomic<bool>* stop_flag) {
  const bool here = stop_flag != nullptr && stop_flag->load();
  if (SharedWork() == nullptr) return here;
  return SumOverRanks({here ? 1.0 : 0.0}, "the stop check")[0] > 0;
}

std::vector<double> SumOverRanks(std::vector<double> values, const std::string& what) {
  dist::Group* group = SharedWork();
  if (group == nullptr || values.empty()) return values;
  torch::Tensor sums = torch::tensor(values, torch::dtype(torch::kDouble));
  group->Sum(sums, what);
  return std::vector<double>(sums.data_ptr<double>(), sums.data_ptr<double>() + sums.numel());
}

DataParallelScope::DataParallelScope() {
  ++OpenScopes();
  if (dist::Group* group = dist::DefaultGroup())
    sync_.emplace([group](torch::Tensor& t) { group->Sum(t, "a batch-norm all-reduce"); });
  else if (getenv("HWNAS_SYNC_BATCH_NORM"))
    sync_.emplace([](torch::Tensor&) {});
}

DataParallelScope::~DataParallelScope() { --OpenScopes(); }

const std::string& WorkOrder::at(const std::string& name) const {
  const auto it = fields.find(name);
  if (it == fields.end())
    throw std::logic_error("work order '" + kind + "' lacks field '" + name + "'");
  return it->second;
}

bool RegisterWorkOrder(const std::string& kind, WorkOrderHandler handler) {
  Handlers()[kind] = std::move(handler);
  return true;
}

void PostWorkOrder(const WorkOrder& order) {
  dist::Group* group = dist::DefaultGroup();
  if (group != nullptr && group->rank() == 0) group->PostOrder(Encode(order));
}

void PostEndOrder(int exit_code) {
  PostWorkOrder({"end", {{"exit_code", std::to_string(exit_code)}}});
}

int ServeWorkOrders() {
  dist::Group& group = *dist::DefaultGroup();
  for (;;) {
    const WorkOrder order = Decode(group.NextOrder());
    if (order.kind == "end") return std::stoi(order.at("exit_code"));
    const auto handler = Handlers().find(order.kind);
    if (handler == Handlers().end())
      throw std::logic_error("rank " + std::to_string(group.rank()) + " has no work order '" +
                             order.kind + "' (another hwnas version than rank 0's?)");
    try {
      handler->second(order);
    } catch (const dist::RankLost&) {
      throw;
    } catch (const dist::JobAborted&) {
      throw;  // another rank's failure, told already
    } catch (const Interrupted&) {
      // Stopped with rank 0 at the same batch; rank 0's end order says how the job ends.
    } catch (const Error& e) {
      group.Abort(e.code(), e.what());  // rank 0 may be waiting for this rank in a collective
      throw;
    } catch (const std::exception& e) {
      group.Abort(ExitCode::kFailure, e.what());
      throw;
    }
  }
}

const DataSplits& FollowerData(const Config& config, std::optional<uint64_t> seed) {
  static std::string loaded_key;
  static DataSplits data;
  Config data_only;
  data_only.data = config.data;
  data_only.seed = seed.value_or(config.seed);
  const std::string key = ConfigToYaml(data_only);
  if (key != loaded_key) {
    data = LoadDataSplits(data_only.data, data_only.seed);
    loaded_key = key;
  }
  return data;
}

}  // namespace hwnas::search
