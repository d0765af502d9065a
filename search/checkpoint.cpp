#include "search/checkpoint.h"

#include <cstring>
#include <filesystem>
#include <sstream>
#include <type_traits>

#include "core/atomic_file.h"
#include "core/config.h"
#include "core/errors.h"
#include "core/sha256.h"

namespace hwnas::search {

static_assert(std::is_trivially_copyable_v<Rng> && sizeof(Rng) == sizeof(int64_t),
              "a checkpoint stores an Rng as its 8 bytes of state");

std::string ConfigHash(const Config& config) { return Sha256Hex(ConfigToYaml(config)); }

std::string CheckpointPath(const std::string& artifact_dir) {
  return artifact_dir + "/search-checkpoint.pt";
}

torch::serialize::InputArchive OpenCheckpoint(const std::string& path, int64_t format,
                                              const std::string& what) {
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path);
  } catch (const c10::Error& e) {
    throw DataError("cannot read " + what + " " + path + " (" + e.what_without_backtrace() + ")");
  }
  c10::IValue stored;
  if (!archive.try_read("format", stored) || !stored.isInt() || stored.toInt() != format)
    throw DataError(what + " " + path + " was written by another hwnas version " +
                    "(expected checkpoint format " + std::to_string(format) + ")");
  return archive;
}

c10::IValue ReadValue(torch::serialize::InputArchive& archive, const std::string& key,
                      const std::string& path) {
  c10::IValue value;
  if (!archive.try_read(key, value))
    throw DataError("search checkpoint " + path + " lacks '" + key + "'");
  return value;
}

torch::serialize::InputArchive ReadArchive(torch::serialize::InputArchive& archive,
                                           const std::string& key, const std::string& path) {
  torch::serialize::InputArchive part;
  if (!archive.try_read(key, part))
    throw DataError("search checkpoint " + path + " lacks '" + key + "'");
  return part;
}

void WriteCheckpoint(torch::serialize::OutputArchive& archive, int64_t format,
                     const std::string& path, const std::string& what) {
  archive.write("format", c10::IValue(format));
  std::ostringstream bytes;
  archive.save_to(bytes);
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  WriteFileAtomically(path, bytes.str(), what);
}

torch::serialize::InputArchive OpenRunCheckpoint(const std::string& path, int64_t format,
                                                 const std::string& config_hash) {
  torch::serialize::InputArchive archive = OpenCheckpoint(path, format);
  if (ReadValue(archive, "config_hash", path).toStringRef() != config_hash)
    throw DataError("the checkpoint belongs to another config (" + path + ")");
  return archive;
}

std::optional<int64_t> CheckpointSteps(const std::string& path, int64_t format,
                                       const std::string& config_hash,
                                       const std::string& steps_key) {
  if (!std::filesystem::exists(path)) return std::nullopt;
  torch::serialize::InputArchive archive = OpenRunCheckpoint(path, format, config_hash);
  return ReadValue(archive, steps_key, path).toInt();
}

int64_t RngState(const Rng& rng) {
  int64_t state = 0;
  std::memcpy(&state, &rng, sizeof state);
  return state;
}

Rng RngFromState(int64_t state) {
  Rng rng(0);
  std::memcpy(static_cast<void*>(&rng), &state, sizeof state);
  return rng;
}

}  // namespace hwnas::search
