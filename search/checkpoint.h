// Checkpoint files of resumable strategies (proxyless epochs, AMC/HAQ episodes, evolution's
// samples and targets): one torch archive written atomically, holding a format number and the
// config hash so that a checkpoint of another hwnas version or config is refused (DataError
// naming the file), and read back key by key. What each archive holds is its strategy's.
#pragma once

#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <cstdint>
#include <optional>
#include <string>

#include "core/rng.h"

namespace hwnas {
struct Config;
}

namespace hwnas::search {

// The hash a run stores with its config (the SHA-256 of its YAML), kept in every checkpoint.
std::string ConfigHash(const Config& config);

// The file a strategy keeps its checkpoint in under a run's artifact directory.
std::string CheckpointPath(const std::string& artifact_dir);

// Opens `path`; DataError naming it when it cannot be read or has another `format`. `what`
// names the file in messages ("search checkpoint").
torch::serialize::InputArchive OpenCheckpoint(const std::string& path, int64_t format,
                                              const std::string& what = "search checkpoint");
// OpenCheckpoint, and the checkpoint must belong to the config of `config_hash` (DataError
// "the checkpoint belongs to another config (PATH)" otherwise).
torch::serialize::InputArchive OpenRunCheckpoint(const std::string& path, int64_t format,
                                                 const std::string& config_hash);
// A value the archive must hold; DataError naming `path` without it.
c10::IValue ReadValue(torch::serialize::InputArchive& archive, const std::string& key,
                      const std::string& path);
// The archive `key` holds; DataError naming `path` without it.
torch::serialize::InputArchive ReadArchive(torch::serialize::InputArchive& archive,
                                           const std::string& key, const std::string& path);
// Writes `archive` (with "format" added) to `path` atomically, creating its directory.
void WriteCheckpoint(torch::serialize::OutputArchive& archive, int64_t format,
                     const std::string& path, const std::string& what = "search checkpoint");

// Steps completed (`steps_key`) of the checkpoint at `path`; nullopt when there is none.
// DataError when it belongs to another config or cannot be read.
std::optional<int64_t> CheckpointSteps(const std::string& path, int64_t format,
                                       const std::string& config_hash,
                                       const std::string& steps_key = "steps_done");

// An Rng's 8 bytes of state as an int64 value, and back (Rng is trivially copyable).
int64_t RngState(const Rng& rng);
Rng RngFromState(int64_t state);

}  // namespace hwnas::search
