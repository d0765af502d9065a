#include "runs/run_record.h"

#include <filesystem>

#include "core/config.h"
#include "core/sha256.h"

namespace hwnas::runs {

results::RunInfo MakeRunInfo(const Config& config) {
  results::RunInfo info;
  info.name = config.name;
  info.strategy = config.strategy;
  info.config_text = ConfigToYaml(config);
  info.config_hash = Sha256Hex(info.config_text);
  info.device = config.device.name;
  info.dataset = DatasetName(config.data.dataset);
  info.seed = static_cast<int64_t>(config.seed);
  info.engine_version = HWNAS_VERSION;
  return info;
}

std::string ArtifactDir(const std::string& db_path, int64_t run_id) {
  return (std::filesystem::absolute(db_path).parent_path() / "hwnas-artifacts" /
          ("run-" + std::to_string(run_id)))
      .string();
}

std::string ArtifactPath(const std::string& stored, const std::string& db_path) {
  namespace fs = std::filesystem;
  if (!fs::path(stored).is_relative()) return stored;
  return (fs::absolute(db_path).parent_path() / stored).lexically_normal();
}

}  // namespace hwnas::runs
