#include "predictors/arch_encoding.h"

#include <algorithm>

#include "core/errors.h"

namespace hwnas::predictors {

ArchEncoder::ArchEncoder(EncodingLayout layout) : layout_(std::move(layout)) {
  if (layout_.categories.empty()) throw DataError("an architecture encoding needs categories");
  if (layout_.scale_number >= static_cast<int>(layout_.numbers.size()))
    throw DataError("the encoding's scale number is not one of its numbers");
  for (int g : layout_.group_of_block) {
    if (g < 0) throw DataError("a block of the encoding has a negative group");
    groups_ = std::max(groups_, g + 1);
  }
  const bool scaled = layout_.scale_number >= 0;
  for (int g = 0; g < groups_; ++g)
    for (const std::string& c : layout_.categories) {
      names_.push_back("g" + std::to_string(g) + "." + c);
      if (scaled) names_.push_back("g" + std::to_string(g) + "." + c + "*s2");
    }
  if (layout_.per_block)
    for (size_t b = 0; b < layout_.group_of_block.size(); ++b)
      for (const std::string& c : layout_.categories)
        names_.push_back("b" + std::to_string(b) + "=" + c);
  for (const std::string& n : layout_.numbers) {
    names_.push_back(n);
    names_.push_back(n + "^2");
  }
}

std::vector<double> ArchEncoder::Encode(const ArchSample& sample) const {
  const size_t blocks = layout_.group_of_block.size(), k = layout_.categories.size();
  if (sample.choices.size() != blocks || sample.numbers.size() != layout_.numbers.size())
    throw DataError("an architecture of " + std::to_string(sample.choices.size()) + " blocks and " +
                    std::to_string(sample.numbers.size()) + " numbers for an encoding of " +
                    std::to_string(blocks) + " and " + std::to_string(layout_.numbers.size()));
  double s2 = 1;
  if (layout_.scale_number >= 0) {
    const double s = sample.numbers[layout_.scale_number] / layout_.scale_reference;
    s2 = s * s;
  }
  const size_t per_category = layout_.scale_number >= 0 ? 2 : 1;
  std::vector<double> row(names_.size(), 0);
  for (size_t b = 0; b < blocks; ++b) {
    const auto it =
        std::find(layout_.categories.begin(), layout_.categories.end(), sample.choices[b]);
    if (it == layout_.categories.end())
      throw DataError("block " + std::to_string(b + 1) + " has choice '" + sample.choices[b] +
                      "', which the encoding does not know");
    const size_t c = static_cast<size_t>(it - layout_.categories.begin());
    const size_t at = (layout_.group_of_block[b] * k + c) * per_category;
    row[at] += 1;
    if (per_category == 2) row[at + 1] += s2;
    if (layout_.per_block) row[groups_ * k * per_category + b * k + c] = 1;
  }
  size_t at = row.size() - 2 * layout_.numbers.size();
  for (double v : sample.numbers) {
    row[at++] = v;
    row[at++] = v * v;
  }
  return row;
}

Examples ArchEncoder::Encode(const std::vector<ArchSample>& samples,
                             const std::vector<double>& targets) const {
  Examples out;
  out.features = names_;
  for (size_t i = 0; i < samples.size(); ++i)
    out.Add(Encode(samples[i]), i < targets.size() ? targets[i] : 0.0);
  return out;
}

}  // namespace hwnas::predictors
