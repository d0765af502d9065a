#include "search/amc/channel_groups.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace hwnas::amc {
namespace {

int AddGroup(ChannelGroups& out, std::string name, int64_t channels, GroupRole role, int layer) {
  out.groups.push_back({std::move(name), channels, role, layer, role != GroupRole::kFixed});
  return static_cast<int>(out.groups.size()) - 1;
}

}  // namespace

// A layer reads what the previous one wrote; an MBConv block without an expand convolution
// works on its input channels; an identity shortcut writes into its input's channels.
ChannelGroups FindChannelGroups(const NetSpec& net) {
  ChannelGroups out;
  int current = AddGroup(out, "input", net.input_channels, GroupRole::kFixed, -1);
  for (size_t i = 0; i < net.layers.size(); ++i) {
    const LayerSpec& l = net.layers[i];
    const int index = static_cast<int>(i);
    LayerGroups g;
    g.in = current;
    switch (l.kind) {
      case LayerKind::kConv:
        g.out = l.skip
                    ? g.in
                    : AddGroup(out, l.name + ".out", l.out_channels, GroupRole::kConvOutput, index);
        break;
      case LayerKind::kMBConv:
        g.mid = l.mid_channels != l.in_channels
                    ? AddGroup(out, l.name + ".mid", l.mid_channels, GroupRole::kExpand, index)
                    : g.in;
        g.out = l.skip ? g.in
                       : AddGroup(out, l.name + ".out", l.out_channels, GroupRole::kProject, index);
        break;
      case LayerKind::kLogits:
        g.out = AddGroup(out, "classes", l.out_channels, GroupRole::kFixed, index);
        break;
    }
    current = g.out;
    out.layers.push_back(g);
  }
  return out;
}

NetSpec ApplyChannelCounts(const NetSpec& net, const ChannelGroups& groups,
                           const std::vector<int64_t>& counts) {
  if (counts.size() != groups.groups.size())
    throw std::logic_error("ApplyChannelCounts: one count per channel group expected");
  NetSpec pruned = net;
  for (size_t i = 0; i < pruned.layers.size(); ++i) {
    LayerSpec& l = pruned.layers[i];
    const LayerGroups& g = groups.layers[i];
    const bool had_expand = l.kind == LayerKind::kMBConv && l.mid_channels != l.in_channels;
    l.in_channels = counts[g.in];
    l.out_channels = counts[g.out];
    if (l.kind == LayerKind::kMBConv) l.mid_channels = counts[g.mid];
    if (had_expand && l.mid_channels == l.in_channels)
      throw std::logic_error("ApplyChannelCounts: block '" + l.name +
                             "' would lose its expand convolution");
  }
  return pruned;
}

double CountsFlops(const NetSpec& net, const ChannelGroups& groups,
                   const std::vector<int64_t>& counts) {
  double flops = 0;
  for (size_t i = 0; i < net.layers.size(); ++i) {
    LayerSpec l = net.layers[i];
    const bool had_expand = l.kind == LayerKind::kMBConv && l.mid_channels != l.in_channels;
    const LayerGroups& g = groups.layers[i];
    l.in_channels = counts[g.in];
    l.out_channels = counts[g.out];
    if (l.kind == LayerKind::kMBConv) l.mid_channels = counts[g.mid];
    flops += LayerFlops(l);
    // An expand convolution with as many outputs as inputs still costs its MACs.
    if (had_expand && l.mid_channels == l.in_channels)
      flops += static_cast<double>(l.input_size) * l.input_size * l.in_channels * l.mid_channels;
  }
  return flops;
}

std::vector<int64_t> AllowedCounts(const ChannelGroup& group, double min_preserve,
                                   int64_t multiple) {
  if (!group.prunable) return {group.channels};
  const int64_t lowest = CountForRatio(group, min_preserve, min_preserve, multiple);
  std::vector<int64_t> counts;
  for (int64_t c = lowest; c < group.channels; c += multiple) counts.push_back(c);
  counts.push_back(group.channels);
  return counts;
}

int64_t CountForRatio(const ChannelGroup& group, double ratio, double min_preserve,
                      int64_t multiple) {
  if (!group.prunable) return group.channels;
  const double r = std::clamp(ratio, min_preserve, 1.0);
  const int64_t wanted = std::max<int64_t>(1, std::llround(group.channels * r));
  const int64_t rounded = (wanted + multiple - 1) / multiple * multiple;
  return std::min(group.channels, rounded);
}

bool CountKeepsExpand(const NetSpec& net, const ChannelGroups& groups, int g, int64_t count,
                      const std::vector<int64_t>& counts) {
  for (size_t i = 0; i < net.layers.size(); ++i) {
    const LayerSpec& l = net.layers[i];
    const LayerGroups& lg = groups.layers[i];
    if (l.kind != LayerKind::kMBConv || lg.mid == lg.in) continue;
    if (lg.in != g && lg.mid != g) continue;
    const int other = lg.in == g ? lg.mid : lg.in;
    if (other < g && counts[other] == count) return false;
  }
  return true;
}

std::vector<int64_t> AllowedCountsAfter(const NetSpec& net, const ChannelGroups& groups, int g,
                                        const std::vector<int64_t>& counts, double min_preserve,
                                        int64_t multiple) {
  std::vector<int64_t> allowed;
  for (int64_t c : AllowedCounts(groups.groups[g], min_preserve, multiple))
    if (CountKeepsExpand(net, groups, g, c, counts)) allowed.push_back(c);
  return allowed;
}

std::vector<int64_t> UniformCounts(const NetSpec& net, const ChannelGroups& groups, double ratio,
                                   double min_preserve, int64_t multiple) {
  std::vector<int64_t> counts;
  for (const ChannelGroup& group : groups.groups) counts.push_back(group.channels);
  for (size_t g = 0; g < groups.groups.size(); ++g) {
    const int64_t wanted = CountForRatio(groups.groups[g], ratio, min_preserve, multiple);
    const std::vector<int64_t> allowed =
        AllowedCountsAfter(net, groups, static_cast<int>(g), counts, min_preserve, multiple);
    auto above = std::upper_bound(allowed.begin(), allowed.end(), wanted);
    counts[g] = above == allowed.begin() ? allowed.front() : *std::prev(above);
  }
  return counts;
}

std::vector<int64_t> RandomCounts(const NetSpec& net, const ChannelGroups& groups,
                                  double min_preserve, int64_t multiple, Rng& rng) {
  std::vector<int64_t> counts;
  for (const ChannelGroup& group : groups.groups) counts.push_back(group.channels);
  for (size_t g = 0; g < groups.groups.size(); ++g) {
    const std::vector<int64_t> allowed =
        AllowedCountsAfter(net, groups, static_cast<int>(g), counts, min_preserve, multiple);
    counts[g] = allowed[rng.UniformInt(allowed.size())];
  }
  return counts;
}

void FillLowest(const NetSpec& net, const ChannelGroups& groups, size_t first, double min_preserve,
                int64_t multiple, std::vector<int64_t>& counts) {
  for (size_t g = first; g < groups.groups.size(); ++g)
    counts[g] = AllowedCountsAfter(net, groups, static_cast<int>(g), counts, min_preserve, multiple)
                    .front();
}

}  // namespace hwnas::amc
