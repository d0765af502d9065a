#include "cli/run_common.h"

#include <CLI/CLI.hpp>

#include <filesystem>

#include "core/config.h"
#include "core/sha256.h"

namespace hwnas::cli {

void AddConfigArguments(CLI::App& command, ConfigArgs* args, const std::string& example) {
  command.add_option("config", args->config_path, "YAML config file")->required();
  command.add_option("overrides", args->overrides,
                     "key=value overrides applied before validation, e.g. " + example);
}

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

}  // namespace hwnas::cli
