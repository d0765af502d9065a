#include "core/search_space.h"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <set>
#include <sstream>
#include <tuple>

#include "core/errors.h"
#include "core/text.h"
#include "core/yaml_reader.h"

namespace hwnas {
namespace {

using yaml::IntRange;

constexpr char kOpSyntax[] =
    "k<kernel>e<expansion ratio> with an odd kernel in [1, 15] and a ratio in [1, 16], e.g. k3e6, "
    "or conv<kernel> for a dense convolution, e.g. conv3";

// ---- Op names ---------------------------------------------------------------------------------

// Up to 3 digits at `pos` as a number, advancing `pos`; -1 when there are none.
int64_t ReadNumber(const std::string& text, size_t& pos) {
  const size_t start = pos;
  while (pos < text.size() && pos - start < 3 && text[pos] >= '0' && text[pos] <= '9') ++pos;
  return pos == start ? -1 : std::stoll(text.substr(start, pos - start));
}

bool IsOddKernel(int64_t kernel) { return kernel >= 1 && kernel <= 15 && kernel % 2 == 1; }

// "conv5" -> {conv5, 5, 0}; nullopt unless the name is exactly in canonical form.
std::optional<CandidateOp> ParseDenseOpName(const std::string& name) {
  size_t pos = 4;
  const int64_t kernel = ReadNumber(name, pos);
  if (!IsOddKernel(kernel) || name != "conv" + std::to_string(kernel)) return std::nullopt;
  return CandidateOp{name, kernel, 0};
}

// "k5e6" -> {k5e6, 5, 6}; nullopt unless the name is exactly in canonical form.
std::optional<CandidateOp> ParseOpName(const std::string& name) {
  if (name.rfind("conv", 0) == 0) return ParseDenseOpName(name);
  if (name.size() < 4 || name[0] != 'k') return std::nullopt;
  size_t pos = 1;
  const int64_t kernel = ReadNumber(name, pos);
  if (!IsOddKernel(kernel)) return std::nullopt;
  if (pos >= name.size() || name[pos] != 'e') return std::nullopt;
  ++pos;
  const int64_t expand = ReadNumber(name, pos);
  if (expand < 1 || expand > 16 || pos != name.size()) return std::nullopt;
  if (name != "k" + std::to_string(kernel) + "e" + std::to_string(expand)) return std::nullopt;
  return CandidateOp{name, kernel, expand};
}

// ---- Reading the YAML file -----------------------------------------------------------------

int64_t ReadOddKernel(const yaml::Mapping& m, int64_t fallback) {
  const int64_t kernel = m.Integer("kernel", IntRange::Between(1, 15)).value_or(fallback);
  if (kernel % 2 == 0) m.ReportError("kernel", "must be odd (got " + std::to_string(kernel) + ")");
  return kernel;
}

int64_t ReadChannels(const yaml::Mapping& m, const std::string& key) {
  m.Require(key, "an integer in [1, 65536]");
  return m.Integer(key, IntRange::Between(1, 1 << 16)).value_or(1);
}

int64_t ReadStride(const yaml::Mapping& m) {
  return m.Integer("stride", IntRange::Between(1, 4)).value_or(1);
}

void ReadInput(const yaml::Mapping& root, SearchSpace& space) {
  root.Require("input", "a mapping with channels and size");
  const yaml::Mapping input = root.Section("input");
  input.Require("channels", "an integer in [1, 64]");
  input.Require("size", "an integer in [1, 4096]");
  space.input_channels = input.Integer("channels", IntRange::Between(1, 64)).value_or(1);
  space.input_size = input.Integer("size", IntRange::Between(1, 4096)).value_or(1);
  root.Require("classes", "an integer in [2, 100000]");
  space.num_classes = root.Integer("classes", IntRange::Between(2, 100000)).value_or(2);
}

StemSpec ReadStem(const yaml::Mapping& root) {
  root.Require("stem", "a mapping with out, kernel and stride");
  const yaml::Mapping m = root.Section("stem");
  StemSpec stem;
  stem.out_channels = ReadChannels(m, "out");
  stem.kernel = ReadOddKernel(m, 3);
  stem.stride = ReadStride(m);
  return stem;
}

FirstBlockSpec ReadFirstBlock(const yaml::Mapping& root) {
  root.Require("first_block", "a mapping with out, expand, kernel and stride");
  const yaml::Mapping m = root.Section("first_block");
  FirstBlockSpec first;
  first.out_channels = ReadChannels(m, "out");
  first.expand = m.Integer("expand", IntRange::Between(1, 16)).value_or(1);
  first.kernel = ReadOddKernel(m, 3);
  first.stride = ReadStride(m);
  return first;
}

std::vector<StageSpec> ReadStages(const yaml::Mapping& root) {
  root.Require("stages", "a list of {width, depth, stride}");
  std::vector<StageSpec> stages;
  for (const yaml::Mapping& m : root.MappingList("stages")) {
    StageSpec stage;
    stage.width = ReadChannels(m, "width");
    m.Require("depth", "an integer in [1, 64]");
    stage.depth = m.Integer("depth", IntRange::Between(1, 64)).value_or(1);
    stage.stride = ReadStride(m);
    stages.push_back(stage);
  }
  if (root.Has("stages") && stages.empty())
    root.ReportError("stages",
                     "no stages (expected a list of at least one {width, depth, stride})");
  return stages;
}

// Every bad name is reported (at the list); the good ones are kept.
std::vector<CandidateOp> ReadCandidates(const yaml::Mapping& root) {
  root.Require("candidates", "a list of op names such as k3e6");
  std::vector<CandidateOp> ops;
  const auto names = root.StringList("candidates");
  if (!names) return ops;
  if (names->empty())
    root.ReportError("candidates", "no candidate ops (expected at least one, e.g. [k3e3, k3e6])");
  for (const std::string& name : *names) {
    const auto op = ParseOpName(name);
    if (name == kSkipOp) {
      root.ReportError("candidates", "'skip' is not an op name here (set skip: true or false)");
    } else if (!op) {
      root.ReportError("candidates",
                       "bad op name (got \"" + name + "\"; expected " + kOpSyntax + ")");
    } else if (std::any_of(ops.begin(), ops.end(), [&](const auto& o) { return o.name == name; })) {
      root.ReportError("candidates", "duplicate op name (got \"" + name + "\" twice)");
    } else {
      ops.push_back(*op);
    }
  }
  return ops;
}

SearchSpace ReadSearchSpace(yaml::Document& doc) {
  SearchSpace space;
  if (auto root = doc.Root()) {
    space.name = root->String("name", yaml::StringRule::kNonEmpty).value_or("");
    ReadInput(*root, space);
    space.width_multiplier =
        root->Real("width_multiplier", yaml::RealRange::OpenClosed(0, 4)).value_or(1.0);
    space.stem = ReadStem(*root);
    space.first_block = ReadFirstBlock(*root);
    space.stages = ReadStages(*root);
    space.candidates = ReadCandidates(*root);
    space.allow_skip = root->Bool("skip").value_or(true);
    space.mix_channels =
        root->Section("head").Integer("mix", IntRange::Between(0, 1 << 16)).value_or(0);
  }
  doc.ThrowIfErrors();
  if (space.name.empty()) space.name = std::filesystem::path(doc.display_name()).stem().string();
  return space;
}

// ---- Layers -----------------------------------------------------------------------------------

LayerSpec StemLayer(const SearchSpace& space) {
  LayerSpec l;
  l.kind = LayerKind::kConv;
  l.name = "stem";
  l.in_channels = space.input_channels;
  l.out_channels = ScaledChannels(space, space.stem.out_channels);
  l.kernel = space.stem.kernel;
  l.stride = space.stem.stride;
  l.input_size = space.input_size;
  return l;
}

LayerSpec FirstLayer(const SearchSpace& space) {
  const LayerSpec stem = StemLayer(space);
  LayerSpec l;
  l.kind = LayerKind::kMBConv;
  l.name = "first";
  l.in_channels = stem.out_channels;
  l.out_channels = ScaledChannels(space, space.first_block.out_channels);
  l.mid_channels = l.in_channels * space.first_block.expand;
  l.kernel = space.first_block.kernel;
  l.stride = space.first_block.stride;
  l.input_size = stem.output_size();
  return l;
}

LayerSpec BlockLayer(const BlockPosition& block, const CandidateOp& op) {
  LayerSpec l;
  l.kind = op.dense() ? LayerKind::kConv : LayerKind::kMBConv;
  l.name = block.name;
  l.in_channels = block.in_channels;
  l.out_channels = block.out_channels;
  if (!op.dense()) l.mid_channels = block.in_channels * op.expand;
  l.kernel = op.kernel;
  l.stride = block.stride;
  l.input_size = block.input_size;
  l.skip = block.identity_shortcut;
  return l;
}

// The mix layer (if any) and the classifier after a last block of `channels` x `size`.
std::vector<LayerSpec> HeadLayers(const SearchSpace& space, int64_t channels, int64_t size) {
  std::vector<LayerSpec> head;
  if (space.mix_channels > 0) {
    LayerSpec mix;
    mix.kind = LayerKind::kConv;
    mix.name = "mix";
    mix.in_channels = channels;
    mix.out_channels = ScaledChannels(space, space.mix_channels);
    mix.kernel = 1;
    mix.input_size = size;
    head.push_back(mix);
    channels = mix.out_channels;
  }
  LayerSpec logits;
  logits.kind = LayerKind::kLogits;
  logits.name = "classifier";
  logits.in_channels = channels;
  logits.out_channels = space.num_classes;
  logits.input_size = size;
  head.push_back(logits);
  return head;
}

std::vector<LayerSpec> HeadAfter(const SearchSpace& space,
                                 const std::vector<BlockPosition>& blocks) {
  const LayerSpec first = FirstLayer(space);
  if (blocks.empty()) return HeadLayers(space, first.out_channels, first.output_size());
  const BlockPosition& last = blocks.back();
  return HeadLayers(space, last.out_channels, (last.input_size - 1) / last.stride + 1);
}

// ---- Arch checks ----------------------------------------------------------------------------

const CandidateOp* FindOp(const SearchSpace& space, const std::string& name) {
  for (const CandidateOp& op : space.candidates) {
    if (op.name == name) return &op;
  }
  return nullptr;
}

std::string WhySkipIsNotAllowed(const SearchSpace& space, const BlockPosition& block) {
  if (block.stride != 1) return "the block has stride " + std::to_string(block.stride);
  if (block.in_channels != block.out_channels)
    return "the block changes width " + std::to_string(block.in_channels) + " -> " +
           std::to_string(block.out_channels);
  return "space '" + space.name + "' does not allow skip";
}

void CheckChoice(const SearchSpace& space, const BlockPosition& block, size_t position,
                 const std::string& choice) {
  if (choice == kSkipOp ? block.skip_allowed : FindOp(space, choice) != nullptr) return;
  const std::string where =
      "arch choice " + std::to_string(position + 1) + " (" + block.name + "): ";
  const std::string expected =
      " (expected one of " + Join(CandidateNames(space, block), ", ") + ")";
  if (choice == kSkipOp)
    throw DataError(where + "'skip' is not allowed here: " + WhySkipIsNotAllowed(space, block) +
                    expected);
  throw DataError(where + "unknown op '" + choice + "'" + expected);
}

void CheckArch(const SearchSpace& space, const std::vector<BlockPosition>& blocks,
               const Arch& arch) {
  if (arch.choices.size() != blocks.size())
    throw DataError("arch has " + std::to_string(arch.choices.size()) + " choices but space '" +
                    space.name + "' has " + std::to_string(blocks.size()) + " searchable blocks");
  for (size_t i = 0; i < blocks.size(); ++i) CheckChoice(space, blocks[i], i, arch.choices[i]);
}

// Identity of a layer for deduplication: everything but the name.
using LayerShape =
    std::tuple<LayerKind, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, bool, int, int>;

LayerShape ShapeOf(const LayerSpec& l) {
  return {l.kind,   l.in_channels, l.out_channels, l.mid_channels, l.kernel,
          l.stride, l.input_size,  l.skip,         l.weight_bits,  l.activation_bits};
}

std::vector<std::string> KnownSpaceNames(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  std::error_code error;
  for (std::filesystem::directory_iterator it(dir, error), end; !error && it != end;
       it.increment(error)) {
    if (it->path().extension() == ".yaml") names.push_back(it->path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

// ---- Loading --------------------------------------------------------------------------------

SearchSpace LoadSearchSpaceFile(const std::string& path) {
  yaml::Document doc = yaml::Document::FromFile(path);
  return ReadSearchSpace(doc);
}

SearchSpace SearchSpaceFromYamlString(const std::string& text, const std::string& display_name) {
  yaml::Document doc = yaml::Document::FromString(text, display_name);
  return ReadSearchSpace(doc);
}

std::string ResolveSpacePath(const std::string& name_or_path, const std::string& configs_dir) {
  std::error_code error;
  if (std::filesystem::is_regular_file(name_or_path, error)) return name_or_path;
  const std::filesystem::path dir = std::filesystem::path(configs_dir) / "spaces";
  const std::filesystem::path named = dir / (name_or_path + ".yaml");
  if (!name_or_path.empty() && std::filesystem::is_regular_file(named, error))
    return named.string();
  const std::vector<std::string> known = KnownSpaceNames(dir);
  const std::string listing =
      known.empty() ? "no spaces in " + dir.string() : "known: " + Join(known, ", ");
  throw UsageError("unknown search space '" + name_or_path + "' (" + listing + ")");
}

// ---- Enumeration ----------------------------------------------------------------------------

int64_t ScaledChannels(const SearchSpace& space, int64_t channels) {
  if (space.width_multiplier == 1.0) return channels;
  constexpr int64_t kDivisor = 8;
  const double scaled = static_cast<double>(channels) * space.width_multiplier;
  int64_t rounded = std::max<int64_t>(
      kDivisor, static_cast<int64_t>(scaled + kDivisor / 2.0) / kDivisor * kDivisor);
  if (static_cast<double>(rounded) < 0.9 * scaled) rounded += kDivisor;
  return rounded;
}

std::vector<BlockPosition> Blocks(const SearchSpace& space) {
  const LayerSpec first = FirstLayer(space);
  int64_t channels = first.out_channels;
  int64_t size = first.output_size();
  std::vector<BlockPosition> blocks;
  for (size_t s = 0; s < space.stages.size(); ++s) {
    const StageSpec& stage = space.stages[s];
    for (int64_t b = 0; b < stage.depth; ++b) {
      BlockPosition block;
      block.stage = static_cast<int>(s + 1);
      block.index = static_cast<int>(b + 1);
      block.name = "stage" + std::to_string(block.stage) + ".block" + std::to_string(block.index);
      block.input_size = size;
      block.in_channels = channels;
      block.out_channels = ScaledChannels(space, stage.width);
      block.stride = b == 0 ? stage.stride : 1;
      block.identity_shortcut = block.stride == 1 && block.in_channels == block.out_channels;
      block.skip_allowed = block.identity_shortcut && space.allow_skip;
      blocks.push_back(block);
      channels = block.out_channels;
      size = (size - 1) / block.stride + 1;
    }
  }
  return blocks;
}

std::vector<std::string> CandidateNames(const SearchSpace& space, const BlockPosition& block) {
  std::vector<std::string> names;
  for (const CandidateOp& op : space.candidates) names.push_back(op.name);
  if (block.skip_allowed) names.push_back(kSkipOp);
  return names;
}

// ---- Arch -------------------------------------------------------------------------------------

Arch ParseArch(const SearchSpace& space, const std::string& text) {
  Arch arch;
  std::istringstream words(text);
  for (std::string word; words >> word;) arch.choices.push_back(word);
  CheckArch(space, Blocks(space), arch);
  return arch;
}

std::string FormatArch(const Arch& arch) { return Join(arch.choices, " "); }

Arch RandomArch(const SearchSpace& space, Rng& rng) {
  Arch arch;
  for (const BlockPosition& block : Blocks(space)) {
    const std::vector<std::string> names = CandidateNames(space, block);
    arch.choices.push_back(names[rng.UniformInt(names.size())]);
  }
  return arch;
}

std::vector<Arch> RandomArchs(const SearchSpace& space, int64_t count, uint64_t seed,
                              uint64_t purpose) {
  // The measure-order stream, indexed by purpose: where these were first drawn (latency/).
  Rng rng(DeriveSeed(seed, rng_stream::kMeasureOrder, purpose));
  std::vector<Arch> archs;
  for (int64_t i = 0; i < count; ++i) archs.push_back(RandomArch(space, rng));
  return archs;
}

Arch UniformArch(const SearchSpace& space, const std::string& op) {
  if (FindOp(space, op) == nullptr) {
    std::vector<std::string> names;
    for (const CandidateOp& candidate : space.candidates) names.push_back(candidate.name);
    throw DataError("'" + op + "' is not a candidate op of space '" + space.name +
                    "' (expected one of " + Join(names, ", ") + ")");
  }
  const std::vector<BlockPosition> blocks = Blocks(space);
  return Arch{std::vector<std::string>(blocks.size(), op)};
}

// ---- Networks ---------------------------------------------------------------------------------

std::vector<NetSpec> ToNetSpecs(const SearchSpace& space, const std::vector<Arch>& archs) {
  std::vector<NetSpec> nets;
  for (const Arch& arch : archs) nets.push_back(ToNetSpec(space, arch));
  return nets;
}

NetSpec ToNetSpec(const SearchSpace& space, const Arch& arch) {
  const std::vector<BlockPosition> blocks = Blocks(space);
  CheckArch(space, blocks, arch);
  NetSpec net;
  net.name = space.name;
  net.input_channels = space.input_channels;
  net.input_size = space.input_size;
  net.num_classes = space.num_classes;
  net.layers = {StemLayer(space), FirstLayer(space)};
  for (size_t i = 0; i < blocks.size(); ++i) {
    if (arch.choices[i] == kSkipOp) continue;
    net.layers.push_back(BlockLayer(blocks[i], *FindOp(space, arch.choices[i])));
  }
  for (LayerSpec& l : HeadAfter(space, blocks)) net.layers.push_back(std::move(l));
  ValidateNetSpec(net, "search space '" + space.name + "'");
  return net;
}

std::vector<LayerSpec> AllCandidateLayers(const SearchSpace& space) {
  const std::vector<BlockPosition> blocks = Blocks(space);
  std::vector<LayerSpec> layers = {StemLayer(space), FirstLayer(space)};
  for (const BlockPosition& block : blocks) {
    for (const CandidateOp& op : space.candidates) {
      LayerSpec l = BlockLayer(block, op);
      l.name = block.name + "." + op.name;
      layers.push_back(std::move(l));
    }
  }
  for (LayerSpec& l : HeadAfter(space, blocks)) layers.push_back(std::move(l));
  std::set<LayerShape> seen;
  std::vector<LayerSpec> distinct;
  for (LayerSpec& l : layers) {
    if (seen.insert(ShapeOf(l)).second) distinct.push_back(std::move(l));
  }
  return distinct;
}

}  // namespace hwnas
