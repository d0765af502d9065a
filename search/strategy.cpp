#include "search/strategy.h"

#include <map>

#include "core/errors.h"

namespace hwnas::search {
namespace {

// Function-local so that registrations from other files' static initializers find it built.
std::map<std::string, StrategyFactory>& Registry() {
  static auto* const registry = new std::map<std::string, StrategyFactory>;
  return *registry;
}

}  // namespace

TrainContext TrainContextOf(const RunContext& context) {
  TrainContext train;
  train.reporter = context.reporter;
  train.show_progress = context.show_progress;
  train.artifact_dir = context.artifact_dir;
  train.stop_requested = context.stop_requested;
  train.resume = context.resume;
  return train;
}

bool RegisterStrategy(const std::string& name, StrategyFactory factory) {
  Registry()[name] = std::move(factory);
  return true;
}

std::unique_ptr<Strategy> MakeStrategy(const std::string& name) {
  const auto found = Registry().find(name);
  if (found != Registry().end()) return found->second();
  std::string known;
  for (const auto& entry : Registry()) known += (known.empty() ? "" : ", ") + entry.first;
  throw UsageError("no strategy '" + name + "' (registered: " + known + ")");
}

std::vector<std::string> RegisteredStrategies() {
  std::vector<std::string> names;
  for (const auto& entry : Registry()) names.push_back(entry.first);
  return names;
}

}  // namespace hwnas::search
