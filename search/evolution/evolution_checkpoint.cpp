#include "search/evolution/evolution_checkpoint.h"

#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "search/checkpoint.h"

namespace hwnas::search {
namespace {

constexpr int64_t kEvolutionCheckpointFormat = 1;

nlohmann::json SamplesJson(const std::vector<AccuracySample>& samples) {
  nlohmann::json out = nlohmann::json::array();
  for (const AccuracySample& s : samples)
    out.push_back({{"arch", FormatArch(s.arch)}, {"accuracy", s.accuracy}});
  return out;
}

nlohmann::json TargetsJson(const std::vector<TargetProgress>& targets) {
  nlohmann::json out = nlohmann::json::array();
  for (const TargetProgress& t : targets)
    out.push_back({{"run", t.run}, {"done", t.done}, {"line", t.line}});
  return out;
}

}  // namespace

std::optional<int64_t> EvolutionCheckpointSteps(const std::string& artifact_dir,
                                                const std::string& config_hash) {
  return CheckpointSteps(CheckpointPath(artifact_dir), kEvolutionCheckpointFormat, config_hash);
}

void SaveEvolutionCheckpoint(const EvolutionCheckpoint& checkpoint, const std::string& artifact_dir,
                             const std::string& config_hash) {
  torch::serialize::OutputArchive archive;
  archive.write("config_hash", c10::IValue(config_hash));
  archive.write("steps_done", c10::IValue(static_cast<int64_t>(checkpoint.samples.size())));
  archive.write("samples", c10::IValue(SamplesJson(checkpoint.samples).dump()));
  archive.write("fit_reported", c10::IValue(checkpoint.fit_reported));
  archive.write("targets", c10::IValue(TargetsJson(checkpoint.targets).dump()));
  WriteCheckpoint(archive, kEvolutionCheckpointFormat, CheckpointPath(artifact_dir));
}

EvolutionCheckpoint LoadEvolutionCheckpoint(const std::string& artifact_dir,
                                            const std::string& config_hash,
                                            const SearchSpace& space, size_t targets) {
  const std::string path = CheckpointPath(artifact_dir);
  torch::serialize::InputArchive archive =
      OpenRunCheckpoint(path, kEvolutionCheckpointFormat, config_hash);
  EvolutionCheckpoint checkpoint;
  checkpoint.fit_reported = ReadValue(archive, "fit_reported", path).toBool();
  try {
    for (const nlohmann::json& s :
         nlohmann::json::parse(ReadValue(archive, "samples", path).toStringRef()))
      checkpoint.samples.push_back(
          {ParseArch(space, s.at("arch").get<std::string>()), s.at("accuracy").get<double>()});
    for (const nlohmann::json& t :
         nlohmann::json::parse(ReadValue(archive, "targets", path).toStringRef()))
      checkpoint.targets.push_back(
          {t.at("run").get<int64_t>(), t.at("done").get<bool>(), t.at("line").get<std::string>()});
  } catch (const std::exception& e) {
    throw DataError("search checkpoint " + path + " is inconsistent (" + e.what() + ")");
  }
  if (checkpoint.targets.size() != targets)
    throw DataError("search checkpoint " + path + " holds " +
                    std::to_string(checkpoint.targets.size()) + " targets (expected " +
                    std::to_string(targets) + ")");
  return checkpoint;
}

}  // namespace hwnas::search
