// Op keys: the string that names one layer (block) at one exact shape in a latency table.
// The grammar is ProxylessNAS's, so published tables import unchanged; the parser also reads the
// OFA dialect, and hwnas extends the grammar for pruned mid channels and bit widths.
// Grammar and examples: docs/latency-keys.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/netspec.h"

namespace hwnas::latency {

// H x W x C, channels last, as written in keys ("112x112x16").
struct KeyShape {
  int64_t h = 0;
  int64_t w = 0;
  int64_t c = 0;

  bool operator==(const KeyShape& o) const { return h == o.h && w == o.w && c == o.c; }
  bool operator!=(const KeyShape& o) const { return !(*this == o); }
};

// The fields of one key. Absent optional fields are nullopt.
struct ParsedKey {
  std::string op;                  // Conv, Conv_1, Conv_2, AvgPool2D, Logits or expanded_conv
  KeyShape input;                  // for Logits the feature map before global pooling
  KeyShape output;                 // unset (all 0) for Logits
  int64_t classes = 0;             // Logits only: the output count
  std::optional<int64_t> expand;   // expanded_conv: ratio (ProxylessNAS) or mid channels (OFA)
  std::optional<int64_t> mid;      // expanded_conv, hwnas: mid channels that are no multiple of C
  std::optional<int64_t> kernel;   // expanded_conv; Conv when the kernel is neither 3 nor 1
  std::optional<int64_t> stride;   // expanded_conv
  std::optional<bool> idskip;      // identity shortcut (expanded_conv; Conv, Conv_1: only 1)
  std::optional<bool> se;          // expanded_conv, OFA: squeeze-and-excite
  std::optional<bool> hs;          // expanded_conv, OFA: h-swish
  std::optional<int> weight_bits;  // hwnas: present (with activation_bits) unless 32-bit
  std::optional<int> activation_bits;
  std::vector<OpBits> op_bits;  // hwnas: per-operator bits (-bits:w8a8.w4a6), instead of w/abits

  // OFA keys carry se/hs, and there `expand` is the mid-channel count, not a ratio.
  bool ofa_dialect() const { return se.has_value() || hs.has_value(); }
  // expanded_conv: channels after the expand convolution, whatever the dialect; else 0.
  int64_t MidChannels() const;
};

// The key of one layer of a NetSpec:
//   conv k3:  Conv-input:HxWxC-output:HxWxC        conv k1: Conv_1-input:...-output:...
//   conv kK:  Conv-input:...-output:...-kernel:K
//   mbconv:   expanded_conv-input:...-output:...-expand:E-kernel:K-stride:S-idskip:0|1, with
//             E = mid / in when mid is a multiple of in (1: no expand conv), else -mid:M in place
//             of -expand:E
//   logits:   Logits-input:HxWxC-output:N
// and -wbits:W-abits:A appended when either bit width is not 32, or -bits:wWaA.wWaA... with one
// pair per quantizable operator when they differ within the layer (QuantOpNames order).
std::string OpKey(const LayerSpec& layer);
// One key per layer, in layer order (keys repeat when layers are equal).
std::vector<std::string> NetOpKeys(const NetSpec& net);

// Parses any key of the grammar (both dialects). On failure returns false and sets `error` to
// what is wrong (without the key); `out` is then unspecified.
bool TryParseOpKey(const std::string& key, ParsedKey* out, std::string* error);
// Throws DataError "malformed op key 'KEY': WHAT" on failure.
ParsedKey ParseOpKey(const std::string& key);
// The canonical text of parsed fields; FormatOpKey(ParseOpKey(k)) == k for every valid key.
std::string FormatOpKey(const ParsedKey& key);

}  // namespace hwnas::latency
