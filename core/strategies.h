// The one list of strategies: the names a config's `strategy` accepts, what each needs from the
// config, and the text `hwnas search --help` shows. search/ registers an implementation under
// each name (search/strategy.h); a test checks that the two agree.
#pragma once

#include <string>
#include <vector>

namespace hwnas {

struct StrategyInfo {
  const char* name;
  const char* command;  // the hwnas command that runs it: "train" or "search"
  bool needs_net;       // trains the network given by `net`
  bool needs_space;     // searches the space given by `space`
  const char* help;     // indented lines for `hwnas search --help` (empty for train)
};

const std::vector<StrategyInfo>& Strategies();
// nullptr when `name` is no strategy.
const StrategyInfo* FindStrategy(const std::string& name);
// The accepted values of `strategy`, in list order.
const std::vector<std::string>& StrategyNames();
// "'proxyless', 'amc', 'haq' or 'evolution'": the strategies `command` runs, for messages.
std::string StrategiesOfCommand(const std::string& command);

}  // namespace hwnas
