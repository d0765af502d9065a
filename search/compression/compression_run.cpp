#include "search/compression/compression_run.h"

#include "core/netspec_yaml.h"

namespace hwnas::search {

TrainedNetwork ResolveTrainedNetwork(const Config& config, RunServices& services,
                                     const std::string& source_run, const std::string& weights,
                                     const std::string& section) {
  if (source_run.empty()) return {LoadNetSpecFile(config.net), weights};
  return services.TrainedNetworkOf(source_run, config, section);
}

}  // namespace hwnas::search
