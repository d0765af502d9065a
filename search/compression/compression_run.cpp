#include "search/compression/compression_run.h"

#include "core/netspec_yaml.h"

namespace hwnas::search {

TrainedNetwork ResolveTrainedNetwork(const Config& config, RunServices& services,
                                     const std::string& source_run, const std::string& weights,
                                     const std::string& section) {
  if (source_run.empty()) return {LoadNetSpecFile(config.net), weights};
  return services.TrainedNetworkOf(source_run, config, section);
}

CompressionContext CompressionContextOf(const RunContext& context) {
  CompressionContext compression;
  compression.reporter = context.reporter;
  compression.show_progress = context.show_progress;
  compression.artifact_dir = context.artifact_dir;
  compression.stop_requested = context.stop_requested;
  return compression;
}

}  // namespace hwnas::search
