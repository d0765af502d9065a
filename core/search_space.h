// SearchSpace: a ProxylessNAS-style space (stem, fixed first block, stages of searchable blocks,
// head; each block an MBConv, a dense conv or skip) loaded from configs/spaces/*.yaml; Arch: one
// op choice per searchable block. SearchSpace + Arch -> NetSpec, and every layer any Arch can
// contain (for latency tables).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/netspec.h"
#include "core/rng.h"

namespace hwnas {

inline constexpr const char* kSkipOp = "skip";  // the block is removed (zero op + shortcut)

// A block's choice: an MBConv named "k<kernel>e<expand>" (e.g. "k5e6"), or a dense k x k
// convolution named "conv<kernel>" (e.g. "conv3", expand 0), which CPUs run faster per MAC.
struct CandidateOp {
  std::string name;
  int64_t kernel = 3;
  int64_t expand = 6;  // 0: a dense convolution
  bool dense() const { return expand == 0; }
};

struct StemSpec {  // k x k convolution
  int64_t out_channels = 32;
  int64_t kernel = 3;
  int64_t stride = 1;
};

struct FirstBlockSpec {  // a fixed MBConv, never searched, no shortcut (as in ProxylessNAS)
  int64_t out_channels = 16;
  int64_t expand = 1;  // 1: no expand convolution
  int64_t kernel = 3;
  int64_t stride = 1;
};

struct StageSpec {
  int64_t width = 0;   // output channels of every block of the stage
  int64_t depth = 1;   // searchable blocks
  int64_t stride = 1;  // of the first block; the others have stride 1
};

struct SearchSpace {
  std::string name;
  int64_t input_channels = 3;
  int64_t input_size = 224;
  int64_t num_classes = 1000;
  double width_multiplier = 1.0;  // scales stem, first block, stages and mix (make_divisible 8)
  StemSpec stem;
  FirstBlockSpec first_block;
  std::vector<StageSpec> stages;
  std::vector<CandidateOp> candidates;
  bool allow_skip = true;    // "skip" is a candidate where the block keeps stride 1 and width
  int64_t mix_channels = 0;  // 1x1 conv before the classifier; 0: none
};

// One searchable block, with its channels after the width multiplier.
struct BlockPosition {
  std::string name;  // "stage2.block1" (1-based)
  int stage = 1;
  int index = 1;  // within the stage
  int64_t input_size = 0;
  int64_t in_channels = 0;
  int64_t out_channels = 0;
  int64_t stride = 1;
  bool identity_shortcut = false;  // stride 1 and in == out, whatever the choice
  bool skip_allowed = false;       // identity_shortcut and the space allows skip
};

// One choice per searchable block, in block order: a candidate name or "skip".
struct Arch {
  std::vector<std::string> choices;
  bool operator==(const Arch& other) const { return choices == other.choices; }
  bool operator!=(const Arch& other) const { return choices != other.choices; }
};

// Loading; every problem is reported at once as ConfigError (FILE:LINE:COL, dotted key).
SearchSpace LoadSearchSpaceFile(const std::string& path);
SearchSpace SearchSpaceFromYamlString(const std::string& text, const std::string& display_name);
// An existing file as is, else <configs_dir>/spaces/<name>.yaml; UsageError listing the known
// spaces otherwise.
std::string ResolveSpacePath(const std::string& name_or_path, const std::string& configs_dir);

// A channel count after the width multiplier: exact at 1.0, else MobileNet's make_divisible(8).
int64_t ScaledChannels(const SearchSpace& space, int64_t channels);

std::vector<BlockPosition> Blocks(const SearchSpace& space);
// The block's ops in the space's order, then "skip" where allowed.
std::vector<std::string> CandidateNames(const SearchSpace& space, const BlockPosition& block);

// Arch string form "k3e6 k5e3 skip ..."; ParseArch throws DataError naming the position, the
// block and its candidates. UniformArch puts one candidate op everywhere (never skip).
Arch ParseArch(const SearchSpace& space, const std::string& text);
std::string FormatArch(const Arch& arch);
Arch RandomArch(const SearchSpace& space, Rng& rng);
// `count` random architectures of `space` drawn from their own seed stream per purpose (so
// latency calibration and validation never share architectures).
std::vector<Arch> RandomArchs(const SearchSpace& space, int64_t count, uint64_t seed,
                              uint64_t purpose);
Arch UniformArch(const SearchSpace& space, const std::string& op);

// The network of `arch` (checked as ParseArch checks): stem, first, the blocks not skipped,
// mix, classifier. Passes ValidateNetSpec.
NetSpec ToNetSpec(const SearchSpace& space, const Arch& arch);
std::vector<NetSpec> ToNetSpecs(const SearchSpace& space, const std::vector<Arch>& archs);
// Every distinct layer any Arch of the space can contain (stem, first block, each op at each
// distinct block shape, mix, classifier), in network order, for building latency tables.
std::vector<LayerSpec> AllCandidateLayers(const SearchSpace& space);

}  // namespace hwnas
