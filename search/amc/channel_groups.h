// Channel groups of a NetSpec: the channel counts AMC may prune, each shared by every layer that
// reads or writes those channels (a residual chain of identity shortcuts is one group). Owns
// which counts a group may take and how a choice of counts rewrites the NetSpec. No LibTorch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/netspec.h"
#include "core/rng.h"

namespace hwnas::amc {

// Where a group's channels are first written: a plain conv's output, an MBConv block's expand
// convolution (its mid channels) or its project convolution (its output).
enum class GroupRole { kConvOutput, kExpand, kProject, kFixed };

struct ChannelGroup {
  std::string name;      // "<first layer>.out" or "<first layer>.mid"; "input", "classes"
  int64_t channels = 0;  // in the unpruned network
  GroupRole role = GroupRole::kFixed;
  int first_layer = -1;   // index of the layer that first writes it (-1: the input image)
  bool prunable = false;  // not the image channels or the classes
};

// The groups a layer's input, mid (MBConv only, else -1) and output channels belong to.
struct LayerGroups {
  int in = -1;
  int mid = -1;
  int out = -1;
};

struct ChannelGroups {
  std::vector<ChannelGroup> groups;  // in order of first appearance (forward order)
  std::vector<LayerGroups> layers;   // one per NetSpec layer
};

ChannelGroups FindChannelGroups(const NetSpec& net);

// The network with group g's channels set to counts[g] (one count per group). A block whose
// expand convolution would end with as many channels as its input is refused (std::logic_error):
// the NetSpec would read that as a block without an expand convolution.
NetSpec ApplyChannelCounts(const NetSpec& net, const ChannelGroups& groups,
                           const std::vector<int64_t>& counts);

// FLOPs of the network with counts[g] channels in group g, without ApplyChannelCounts' checks
// (for the agent's state, where later groups are still at their full counts).
double CountsFlops(const NetSpec& net, const ChannelGroups& groups,
                   const std::vector<int64_t>& counts);

// The counts group `g` may keep, ascending: multiples of `multiple` from the count of the lower
// bound `min_preserve` (rounded up) to the full count, which is always allowed.
std::vector<int64_t> AllowedCounts(const ChannelGroup& group, double min_preserve,
                                   int64_t multiple);
// The count for preserve ratio `ratio`: round(channels x ratio) rounded up to the multiple,
// within the allowed counts.
int64_t CountForRatio(const ChannelGroup& group, double ratio, double min_preserve,
                      int64_t multiple);

// Whether keeping `count` channels in group g is consistent with the counts of the groups before
// it (groups are decided in index order): an MBConv block with an expand convolution must keep
// more or fewer mid channels than inputs.
bool CountKeepsExpand(const NetSpec& net, const ChannelGroups& groups, int g, int64_t count,
                      const std::vector<int64_t>& counts);

// The counts group g may keep after the groups before it chose `counts`, ascending: the allowed
// counts that keep every expand convolution.
std::vector<int64_t> AllowedCountsAfter(const NetSpec& net, const ChannelGroups& groups, int g,
                                        const std::vector<int64_t>& counts, double min_preserve,
                                        int64_t multiple);

// Every group pruned by one preserve ratio: each takes its allowed count nearest at or below
// the ratio's (uniform pruning, and networks that span the range of prunings).
std::vector<int64_t> UniformCounts(const NetSpec& net, const ChannelGroups& groups, double ratio,
                                   double min_preserve, int64_t multiple);

// Every group at a count drawn uniformly from those it may keep after the groups before it: the
// uneven prunings an agent explores, for fitting a cost model on more than uniform ones.
std::vector<int64_t> RandomCounts(const NetSpec& net, const ChannelGroups& groups,
                                  double min_preserve, int64_t multiple, Rng& rng);
// counts[g] for every group from `first` on: its lowest allowed count that keeps every expand
// convolution (the cheapest completion of a partial choice).
void FillLowest(const NetSpec& net, const ChannelGroups& groups, size_t first, double min_preserve,
                int64_t multiple, std::vector<int64_t>& counts);

}  // namespace hwnas::amc
