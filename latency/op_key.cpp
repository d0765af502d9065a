#include "latency/op_key.h"

#include <algorithm>

#include "core/errors.h"

namespace hwnas::latency {
namespace {

const char* const kOps[] = {"Conv", "Conv_1", "Conv_2", "AvgPool2D", "Logits", "expanded_conv"};

// One position in an op's field order; `names` are alternatives (expand|mid).
struct Slot {
  std::vector<std::string> names;
  bool required;
};

// Field order of each op: optional slots may be left out, nothing may be reordered, so every
// key has exactly one spelling and FormatOpKey reproduces it.
const std::vector<Slot>& SlotsOf(const std::string& op) {
  static const std::vector<Slot> kConv = {
      {{"input"}, true},  {{"output"}, true}, {{"kernel"}, false}, {{"idskip"}, false},
      {{"wbits"}, false}, {{"abits"}, false}, {{"bits"}, false}};
  static const std::vector<Slot> kConv1 = {{{"input"}, true},   {{"output"}, true},
                                           {{"idskip"}, false}, {{"wbits"}, false},
                                           {{"abits"}, false},  {{"bits"}, false}};
  static const std::vector<Slot> kPlain = {{{"input"}, true},
                                           {{"output"}, true},
                                           {{"wbits"}, false},
                                           {{"abits"}, false},
                                           {{"bits"}, false}};
  static const std::vector<Slot> kMBConv = {
      {{"input"}, true},  {{"output"}, true}, {{"expand", "mid"}, true}, {{"kernel"}, true},
      {{"stride"}, true}, {{"idskip"}, true}, {{"se"}, false},           {{"hs"}, false},
      {{"wbits"}, false}, {{"abits"}, false}, {{"bits"}, false}};
  if (op == "Conv") return kConv;
  if (op == "Conv_1") return kConv1;
  if (op == "expanded_conv") return kMBConv;
  return kPlain;
}

std::string DescribeSlots(const std::vector<Slot>& slots) {
  std::string text;
  for (const Slot& slot : slots) {
    std::string names;
    for (const auto& name : slot.names) names += (names.empty() ? "" : "|") + name;
    text += (text.empty() ? "" : ", ") + (slot.required ? names : "[" + names + "]");
  }
  return text;
}

bool IsKnownOp(const std::string& op) {
  return std::find(std::begin(kOps), std::end(kOps), op) != std::end(kOps);
}

std::vector<std::string> Split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end - start));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

// Digits only, no sign, no leading zeros, at most 9 digits (no overflow).
bool ParseCount(const std::string& text, int64_t* value) {
  if (text.empty() || text.size() > 9) return false;
  if (text.size() > 1 && text[0] == '0') return false;
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  *value = std::stoll(text);
  return true;
}

bool ParseShape(const std::string& text, KeyShape* shape) {
  std::vector<std::string> parts = Split(text, 'x');
  return parts.size() == 3 && ParseCount(parts[0], &shape->h) && ParseCount(parts[1], &shape->w) &&
         ParseCount(parts[2], &shape->c) && shape->h > 0 && shape->w > 0 && shape->c > 0;
}

std::string ShapeText(const KeyShape& s) {
  return std::to_string(s.h) + "x" + std::to_string(s.w) + "x" + std::to_string(s.c);
}

bool SetPositive(const std::string& text, std::optional<int64_t>* field) {
  int64_t value = 0;
  if (!ParseCount(text, &value) || value < 1) return false;
  *field = value;
  return true;
}

bool SetFlag(const std::string& text, std::optional<bool>* field) {
  if (text != "0" && text != "1") return false;
  *field = text == "1";
  return true;
}

std::string FormatOpBits(const std::vector<OpBits>& bits) {
  std::string text = FormatBitPolicy(bits);
  std::replace(text.begin(), text.end(), ' ', '.');
  return text;
}

bool SetBits(const std::string& text, std::optional<int>* field) {
  int64_t value = 0;
  if (!ParseCount(text, &value) || value < 1 || value > 32) return false;
  *field = static_cast<int>(value);
  return true;
}

// Per-operator bits "w8a8.w4a6.w4a4".
bool SetOpBits(const std::string& text, std::vector<OpBits>* field) {
  std::string spaced = text;
  std::replace(spaced.begin(), spaced.end(), '.', ' ');
  try {
    *field = ParseBitPolicy(spaced);
  } catch (const DataError&) {
    return false;
  }
  return !field->empty() && FormatOpBits(*field) == text;
}

// Stores one field's value; returns what the value should have been when it is invalid.
std::string SetField(const std::string& name, const std::string& value, ParsedKey* key) {
  if (name == "input")
    return ParseShape(value, &key->input) ? "" : "a shape HxWxC of integers >= 1";
  if (name == "output" && key->op == "Logits") {
    std::optional<int64_t> classes;
    if (!SetPositive(value, &classes)) return "a class count >= 1";
    key->classes = *classes;
    return "";
  }
  if (name == "output")
    return ParseShape(value, &key->output) ? "" : "a shape HxWxC of integers >= 1";
  if (name == "expand") return SetPositive(value, &key->expand) ? "" : "an integer >= 1";
  if (name == "mid") return SetPositive(value, &key->mid) ? "" : "an integer >= 1";
  if (name == "kernel") return SetPositive(value, &key->kernel) ? "" : "an integer >= 1";
  if (name == "stride") return SetPositive(value, &key->stride) ? "" : "an integer >= 1";
  if (name == "idskip") return SetFlag(value, &key->idskip) ? "" : "0 or 1";
  if (name == "se") return SetFlag(value, &key->se) ? "" : "0 or 1";
  if (name == "hs") return SetFlag(value, &key->hs) ? "" : "0 or 1";
  if (name == "wbits") return SetBits(value, &key->weight_bits) ? "" : "an integer in [1, 32]";
  if (name == "bits")
    return SetOpBits(value, &key->op_bits) ? "" : "wWaA per operator, joined by '.'";
  return SetBits(value, &key->activation_bits) ? "" : "an integer in [1, 32]";
}

size_t FindSlot(const std::vector<Slot>& slots, const std::string& name, size_t from) {
  for (size_t i = from; i < slots.size(); ++i) {
    const auto& names = slots[i].names;
    if (std::find(names.begin(), names.end(), name) != names.end()) return i;
  }
  return std::string::npos;
}

// Where field `name` goes, at or after `next`; sets `error` when it is unknown, repeated, out
// of order, or skips a required field.
size_t PlaceField(const std::vector<Slot>& slots, const std::string& op, const std::string& name,
                  size_t next, std::string* error) {
  size_t slot = FindSlot(slots, name, next);
  if (slot == std::string::npos) {
    *error =
        FindSlot(slots, name, 0) == std::string::npos
            ? "unknown field '" + name + "' for " + op + " (expected " + DescribeSlots(slots) + ")"
            : "field '" + name + "' is repeated or out of order (expected " + DescribeSlots(slots) +
                  ")";
    return slot;
  }
  for (size_t i = next; i < slot; ++i) {
    if (slots[i].required) {
      *error = "missing field '" + slots[i].names[0] + "' before '" + name + "' (expected " +
               DescribeSlots(slots) + ")";
      return std::string::npos;
    }
  }
  return slot;
}

bool ParseFields(const std::vector<std::string>& tokens, ParsedKey* key, std::string* error) {
  const std::vector<Slot>& slots = SlotsOf(key->op);
  size_t next = 0;
  for (size_t i = 1; i < tokens.size(); ++i) {
    const std::string& token = tokens[i];
    const size_t colon = token.find(':');
    if (token.empty()) {
      *error = "empty field (two '-' in a row, or a '-' at the end)";
      return false;
    }
    if (colon == std::string::npos || colon == 0) {
      *error = "field '" + token + "' is not NAME:VALUE";
      return false;
    }
    const std::string name = token.substr(0, colon);
    const std::string value = token.substr(colon + 1);
    const size_t slot = PlaceField(slots, key->op, name, next, error);
    if (slot == std::string::npos) return false;
    const std::string expected = SetField(name, value, key);
    if (!expected.empty()) {
      *error = "field '" + name + "' has value '" + value + "' (expected " + expected + ")";
      return false;
    }
    next = slot + 1;
  }
  for (size_t i = next; i < slots.size(); ++i) {
    if (slots[i].required) {
      *error = "missing field '" + slots[i].names[0] + "'";
      return false;
    }
  }
  return true;
}

std::string CheckMBConv(const ParsedKey& k) {
  const int64_t stride = *k.stride;
  if (k.output.h != (k.input.h - 1) / stride + 1 || k.output.w != (k.input.w - 1) / stride + 1) {
    return "output " + ShapeText(k.output) + " does not follow from input " + ShapeText(k.input) +
           " at stride " + std::to_string(stride);
  }
  if (*k.idskip && k.input != k.output) {
    return "idskip:1 needs equal input and output shapes";
  }
  if (k.mid && k.ofa_dialect()) return "mid is not used with se/hs (OFA's expand is the mid count)";
  if (k.mid && *k.mid % k.input.c == 0) {
    return "mid:" + std::to_string(*k.mid) + " is a multiple of the input channels; write expand:" +
           std::to_string(*k.mid / k.input.c);
  }
  return "";
}

// Rules beyond the field order, each keeping one spelling per operator.
std::string CheckConsistency(const ParsedKey& k) {
  if (k.weight_bits.has_value() != k.activation_bits.has_value()) {
    return "wbits and abits are written together";
  }
  if (k.weight_bits && *k.weight_bits == 32 && *k.activation_bits == 32) {
    return "32-bit layers carry no wbits/abits";
  }
  if (!k.op_bits.empty() && k.weight_bits) return "bits replaces wbits/abits";
  if (!k.op_bits.empty() && std::all_of(k.op_bits.begin(), k.op_bits.end(),
                                        [&](const OpBits& b) { return b == k.op_bits[0]; }))
    return "equal bits for every operator are written as wbits/abits";
  if (k.op == "Conv" && k.kernel && (*k.kernel == 3 || *k.kernel == 1)) {
    return "kernel " + std::to_string(*k.kernel) + " is written as " +
           (*k.kernel == 3 ? "plain 'Conv'" : "'Conv_1'") + " without a kernel field";
  }
  if (k.op == "expanded_conv") return CheckMBConv(k);
  if (k.idskip && !*k.idskip) return "a conv without shortcut leaves idskip out";
  if (k.idskip && k.input != k.output) return "idskip:1 needs equal input and output shapes";
  return "";
}

std::string BitsSuffix(int weight_bits, int activation_bits) {
  if (weight_bits == 32 && activation_bits == 32) return "";
  return "-wbits:" + std::to_string(weight_bits) + "-abits:" + std::to_string(activation_bits);
}

// A layer's bits: one pair for all its operators (wbits/abits), or one per operator (bits).
std::string LayerBitsSuffix(const LayerSpec& l) {
  if (l.op_bits.empty()) return BitsSuffix(l.weight_bits, l.activation_bits);
  const bool uniform = std::all_of(l.op_bits.begin(), l.op_bits.end(),
                                   [&](const OpBits& b) { return b == l.op_bits[0]; });
  if (uniform) return BitsSuffix(l.op_bits[0].weight, l.op_bits[0].activation);
  return "-bits:" + FormatOpBits(l.op_bits);
}

std::string FormatMBConvFields(const ParsedKey& k) {
  std::string text;
  if (k.mid) {
    text += "-mid:" + std::to_string(*k.mid);
  } else if (k.expand) {
    text += "-expand:" + std::to_string(*k.expand);
  }
  if (k.kernel) text += "-kernel:" + std::to_string(*k.kernel);
  if (k.stride) text += "-stride:" + std::to_string(*k.stride);
  if (k.idskip) text += std::string("-idskip:") + (*k.idskip ? "1" : "0");
  if (k.se) text += std::string("-se:") + (*k.se ? "1" : "0");
  if (k.hs) text += std::string("-hs:") + (*k.hs ? "1" : "0");
  return text;
}

KeyShape Shape(int64_t size, int64_t channels) { return {size, size, channels}; }

}  // namespace

int64_t ParsedKey::MidChannels() const {
  if (op != "expanded_conv") return 0;
  if (mid) return *mid;
  if (!expand) return 0;
  return ofa_dialect() ? *expand : *expand * input.c;
}

bool TryParseOpKey(const std::string& key, ParsedKey* out, std::string* error) {
  *out = ParsedKey();
  const std::vector<std::string> tokens = Split(key, '-');
  out->op = tokens[0];
  if (!IsKnownOp(out->op)) {
    *error = "unknown op '" + out->op +
             "' (expected one of Conv, Conv_1, Conv_2, AvgPool2D, Logits, expanded_conv)";
    return false;
  }
  if (!ParseFields(tokens, out, error)) return false;
  *error = CheckConsistency(*out);
  return error->empty();
}

ParsedKey ParseOpKey(const std::string& key) {
  ParsedKey parsed;
  std::string error;
  if (!TryParseOpKey(key, &parsed, &error)) {
    throw DataError("malformed op key '" + key + "': " + error);
  }
  return parsed;
}

std::string FormatOpKey(const ParsedKey& k) {
  std::string text = k.op + "-input:" + ShapeText(k.input) + "-output:" +
                     (k.op == "Logits" ? std::to_string(k.classes) : ShapeText(k.output));
  if (k.op == "expanded_conv") {
    text += FormatMBConvFields(k);
  } else {
    if (k.kernel) text += "-kernel:" + std::to_string(*k.kernel);
    if (k.idskip) text += "-idskip:1";
  }
  if (k.weight_bits && k.activation_bits) text += BitsSuffix(*k.weight_bits, *k.activation_bits);
  if (!k.op_bits.empty()) text += "-bits:" + FormatOpBits(k.op_bits);
  return text;
}

std::string OpKey(const LayerSpec& l) {
  ParsedKey k;
  k.input = Shape(l.input_size, l.in_channels);
  k.output = Shape(l.output_size(), l.out_channels);
  switch (l.kind) {
    case LayerKind::kConv:
      k.op = l.kernel == 1 ? "Conv_1" : "Conv";
      if (l.kernel != 1 && l.kernel != 3) k.kernel = l.kernel;
      if (l.skip) k.idskip = true;
      break;
    case LayerKind::kMBConv:
      k.op = "expanded_conv";
      if (l.expand_ratio() > 0) {
        k.expand = l.expand_ratio();
      } else {
        k.mid = l.mid_channels;
      }
      k.kernel = l.kernel;
      k.stride = l.stride;
      k.idskip = l.skip;
      break;
    case LayerKind::kLogits:
      k.op = "Logits";
      k.output = KeyShape();
      k.classes = l.out_channels;
      break;
  }
  return FormatOpKey(k) + LayerBitsSuffix(l);
}

std::vector<std::string> NetOpKeys(const NetSpec& net) {
  std::vector<std::string> keys;
  keys.reserve(net.layers.size());
  for (const LayerSpec& layer : net.layers) keys.push_back(OpKey(layer));
  return keys;
}

}  // namespace hwnas::latency
