// How a predictor sees an architecture: one categorical choice per block ("k3e6", "skip", "none"
// for an absent block), each block in a group (its stage), plus numbers such as the input
// resolution. The features: per group, how many blocks take each choice, the same counts times
// the squared scale number (a block's work grows with the feature map's area), and the numbers
// themselves; optionally one-hot choices per block. Nothing here is specific to one search space.
#pragma once

#include <string>
#include <vector>

#include "predictors/predictor.h"

namespace hwnas::predictors {

struct ArchSample {
  std::vector<std::string> choices;  // one per block
  std::vector<double> numbers;       // in the order of EncodingLayout::numbers
};

struct EncodingLayout {
  std::vector<std::string> categories;  // every choice a block may take
  std::vector<int> group_of_block;      // e.g. the stage of each block
  std::vector<std::string> numbers;     // names of the numeric properties, e.g. "resolution"
  int scale_number = -1;                // index into numbers whose square scales the counts
  double scale_reference = 1;           // that number is divided by this first
  bool per_block = false;               // also one-hot choices per block (for many examples)
};

class ArchEncoder {
 public:
  explicit ArchEncoder(EncodingLayout layout);  // throws DataError on an inconsistent layout
  const std::vector<std::string>& feature_names() const { return names_; }
  // Throws DataError on a wrong block count or a choice outside the categories.
  std::vector<double> Encode(const ArchSample& sample) const;
  Examples Encode(const std::vector<ArchSample>& samples, const std::vector<double>& targets) const;
  const EncodingLayout& layout() const { return layout_; }

 private:
  EncodingLayout layout_;
  int groups_ = 0;
  std::vector<std::string> names_;
};

}  // namespace hwnas::predictors
