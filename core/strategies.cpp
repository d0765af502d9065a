#include "core/strategies.h"

namespace hwnas {

const std::vector<StrategyInfo>& Strategies() {
  static const auto* const kStrategies = new std::vector<StrategyInfo>{
      {"train", "train", true, false, ""},
      {"proxyless", "search", false, true,
       "  proxyless: search the config's space for a network that meets its latency or FLOPs\n"
       "    target on the configured device, then retrain it. A checkpoint is written after\n"
       "    every epoch; Ctrl-C stops at the next batch (exit code 130) and\n"
       "    'hwnas search resume RUN' continues.\n"},
      // Prunes `net` (with amc.weights) or amc.source_run's network.
      {"amc", "search", false, false,
       "  amc: prune the channels of a trained network (amc.source_run, or net + amc.weights)\n"
       "    to a FLOPs or latency budget with a DDPG agent, then fine-tune the best policy's\n"
       "    network. Every episode is stored and checkpointed; Ctrl-C stops after the current\n"
       "    episode and 'hwnas search resume RUN' continues.\n"},
      // Quantizes `net` (with haq.weights) or haq.source_run's network.
      {"haq", "search", false, false,
       "  haq: choose weight and activation bits per operator of a trained network\n"
       "    (haq.source_run, or net + haq.weights) under a latency budget on a device that\n"
       "    costs bits, or a model-size budget, then fine-tune the best policy. Checkpointed\n"
       "    after every episode; 'hwnas search resume RUN' continues after Ctrl-C.\n"},
      // Specializes evolution.supernet_run's supernet.
      {"evolution", "search", false, false,
       "  evolution: specialize the supernet of a finished proxyless run (evolution.supernet_run)\n"
       "    to latency targets on any devices with an accuracy predictor; one run per target.\n"
       "    'hwnas search resume RUN' continues after the last accuracy sample or target.\n"},
      // Runs its stages as child runs of the strategies above.
      {"pipeline", "search", false, false,
       "  pipeline: search -> retrain -> prune -> quantize -> export (pipeline.stages), each\n"
       "    stage a child run of proxyless, train, amc, haq fed the previous stage's network;\n"
       "    'hwnas search resume RUN' continues from the first unfinished stage.\n"},
  };
  return *kStrategies;
}

const StrategyInfo* FindStrategy(const std::string& name) {
  for (const StrategyInfo& info : Strategies())
    if (name == info.name) return &info;
  return nullptr;
}

const std::vector<std::string>& StrategyNames() {
  static const auto* const kNames = [] {
    auto* names = new std::vector<std::string>;
    for (const StrategyInfo& info : Strategies()) names->push_back(info.name);
    return names;
  }();
  return *kNames;
}

std::string StrategiesOfCommand(const std::string& command) {
  std::vector<std::string> names;
  for (const StrategyInfo& info : Strategies())
    if (command == info.command) names.push_back("'" + std::string(info.name) + "'");
  std::string text;
  for (size_t i = 0; i < names.size(); ++i)
    text += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
  return text;
}

}  // namespace hwnas
