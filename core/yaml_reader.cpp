#include "core/yaml_reader.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace hwnas::yaml {
namespace internal {

// One key of a mapping as written in the document.
struct Entry {
  std::string name;
  YAML::Node key;
  YAML::Node value;
};

struct MappingState {
  std::string path;         // dotted path of this mapping; "" for the top level
  YAML::Mark anchor;        // where missing keys are reported
  std::string anchor_path;  // path whose override origin applies to missing keys
  std::vector<Entry> entries;
  std::set<std::string> declared;
  std::vector<std::string> declared_in_order;  // for listing the expected keys
  bool in_list = false;  // list elements' keys are not offered as schema-wide suggestions
};

// Where a command-line override put a value.
struct OverrideOrigin {
  std::string text;  // "override 'train.epochs=3'"
  int order = 0;     // position on the command line
};

struct PendingDiagnostic {
  ConfigDiagnostic diagnostic;
  int override_order = -1;  // -1: located in the file
};

struct DocumentState {
  std::string name;
  YAML::Node root;
  bool parsed = false;  // false when the file could not be read or parsed
  std::vector<PendingDiagnostic> diagnostics;
  std::map<std::string, OverrideOrigin> origins;  // dotted path -> override that set it
  std::vector<std::unique_ptr<MappingState>> mappings;
  std::map<std::string, MappingState*> mappings_by_path;
  std::set<std::string> schema_keys;     // every dotted key declared anywhere, for suggestions
  MappingState* root_mapping = nullptr;  // set by the first successful Root()
  bool root_checked = false;
  bool finished = false;
};

}  // namespace internal

namespace {

using internal::DocumentState;
using internal::Entry;
using internal::MappingState;
using internal::OverrideOrigin;

// ---- Text helpers ---------------------------------------------------------------------------

// The shortest text that reads back as exactly `value` ("0.05", "10", "4e-05").
std::string FormatReal(double value) {
  char buffer[64];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

std::string Quote(const std::string& text) {
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "\"";
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

// What a value is, for "got ...": the scalar quoted, or the kind of node.
std::string DescribeValue(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return Quote(node.Scalar());
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a sequence";
    default:
      return "an empty value";
  }
}

std::string WrongType(const YAML::Node& node, const std::string& expected) {
  return "wrong type (got " + DescribeValue(node) + "; expected " + expected + ")";
}

std::string OutOfRange(const std::string& text, const std::string& expected) {
  return "out of range (got " + text + "; expected " + expected + ")";
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Optional sign then digits only: no floats, no hex, no underscores.
bool LooksLikeInteger(const std::string& text) {
  size_t i = (!text.empty() && (text[0] == '+' || text[0] == '-')) ? 1 : 0;
  if (i == text.size()) return false;
  for (; i < text.size(); ++i) {
    if (!IsDigit(text[i])) return false;
  }
  return true;
}

size_t SkipDigits(const std::string& text, size_t i) {
  while (i < text.size() && IsDigit(text[i])) ++i;
  return i;
}

// Decimal notation only ("1", "-0.5", ".5", "1e-4"): YAML's .inf and .nan are not numbers here.
bool LooksLikeReal(const std::string& text) {
  size_t i = (!text.empty() && (text[0] == '+' || text[0] == '-')) ? 1 : 0;
  const size_t integer_end = SkipDigits(text, i);
  size_t digits = integer_end - i;
  i = integer_end;
  if (i < text.size() && text[i] == '.') {
    const size_t fraction_end = SkipDigits(text, i + 1);
    digits += fraction_end - (i + 1);
    i = fraction_end;
  }
  if (digits == 0) return false;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    const size_t exponent_end = SkipDigits(text, i);
    if (exponent_end == i) return false;
    i = exponent_end;
  }
  return i == text.size();
}

std::optional<bool> ParseBool(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (text == "true" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "no" || text == "off") return false;
  return std::nullopt;
}

// ---- Suggestions ----------------------------------------------------------------------------

// Optimal string alignment distance: insertions, deletions, substitutions and transpositions.
size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// Similar enough to suggest: at most 40% of the longer word differs (like difflib's 0.6).
bool IsClose(const std::string& a, const std::string& b, size_t distance) {
  return distance * 5 <= 2 * std::max(a.size(), b.size());
}

std::string LeafName(const std::string& path) {
  size_t dot = path.find_last_of('.');
  return dot == std::string::npos ? path : path.substr(dot + 1);
}

// The parent of "a.b[2].c" is "a.b[2]", of "a.b[2]" is "a.b", of "a" is "".
std::string ParentPath(const std::string& path) {
  size_t cut = path.find_last_of(".[");
  return cut == std::string::npos ? "" : path.substr(0, cut);
}

std::string JoinPath(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : prefix + "." + key;
}

// The closest candidate name, or "" when none is close. A name the typo is a prefix of also
// counts ("batch" -> "batch_size").
std::string ClosestName(const std::string& name, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::string::npos;
  for (const auto& candidate : candidates) {
    size_t distance = EditDistance(name, candidate);
    bool prefix = name.size() >= 3 && candidate.compare(0, name.size(), name) == 0;
    if (!IsClose(name, candidate, distance) && !prefix) continue;
    if (prefix) distance = std::min<size_t>(distance, 1);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

// A known key anywhere in the schema with the same or a close leaf name, e.g. "epochs" at the
// top level -> "train.epochs". Never the unknown key's own ancestors.
// The schema keys elsewhere whose last part is closest to `path`'s, as "'a'" or "'a' or 'b'":
// when several sections have a key of that name (train.epochs, proxyless.epochs), every one is
// named rather than an arbitrary one.
std::string ClosestSchemaKeys(const std::string& path, const std::set<std::string>& schema_keys) {
  std::vector<std::string> best;
  size_t best_distance = std::string::npos;
  const std::string leaf = LeafName(path);
  for (const auto& key : schema_keys) {
    if (path.compare(0, key.size() + 1, key + ".") == 0) continue;
    const std::string key_leaf = LeafName(key);
    const size_t distance = EditDistance(leaf, key_leaf);
    if (!IsClose(leaf, key_leaf, distance) || distance > best_distance) continue;
    if (distance < best_distance) best.clear();
    best.push_back(key);
    best_distance = distance;
  }
  std::string text;
  for (const auto& key : best) text += (text.empty() ? "'" : "' or '") + key;
  return text.empty() ? "" : text + "'";
}

// ---- Locating and recording diagnostics ---------------------------------------------------------

const OverrideOrigin* FindOrigin(const DocumentState& doc, std::string path) {
  while (true) {
    auto it = doc.origins.find(path);
    if (it != doc.origins.end()) return &it->second;
    if (path.empty()) return nullptr;
    path = ParentPath(path);
  }
}

// Records a problem with `key`; `origin_path` decides whether an override is to blame,
// otherwise `mark` (0-based, may be null) locates it in the file.
void Report(DocumentState& doc, const std::string& origin_path, const YAML::Mark& mark,
            const std::string& key, const std::string& message) {
  internal::PendingDiagnostic pending;
  ConfigDiagnostic& d = pending.diagnostic;
  d.file = doc.name;
  d.key = key;
  d.message = message;
  if (const OverrideOrigin* origin = FindOrigin(doc, origin_path)) {
    d.origin = origin->text;
    pending.override_order = origin->order;
  } else if (!mark.is_null()) {
    d.line = mark.line + 1;
    d.column = mark.column + 1;
  }
  doc.diagnostics.push_back(std::move(pending));
}

// Where a value is: a null value (`key:` alone) has no position of its own, so use the key's.
YAML::Mark ValueMark(const Entry& entry) {
  YAML::Mark mark = entry.value.Mark();
  return entry.value.IsNull() || mark.is_null() ? entry.key.Mark() : mark;
}

void ReportValue(DocumentState& doc, const std::string& path, const Entry& entry,
                 const std::string& message) {
  Report(doc, path, ValueMark(entry), path, message);
}

// ---- Mapping states -------------------------------------------------------------------------

std::string KeyName(const YAML::Node& key) {
  return key.IsScalar() ? key.Scalar() : "<" + DescribeValue(key) + " as key>";
}

// The mapping at `path` whose node is `node` (a map, or null/undefined for an absent or empty
// one), registered once per path so that reading it twice declares keys in one place; duplicate
// keys are reported here, once.
MappingState* GetOrAddMapping(DocumentState& doc, const std::string& path, const YAML::Node& node,
                              YAML::Mark anchor, const std::string& anchor_path, bool in_list) {
  auto cached = doc.mappings_by_path.find(path);
  if (cached != doc.mappings_by_path.end()) return cached->second;
  auto state = std::make_unique<MappingState>();
  state->path = path;
  state->anchor = anchor;
  state->anchor_path = anchor_path;
  state->in_list = in_list;
  if (node.IsDefined() && node.IsMap()) {
    std::map<std::string, int> first_line;
    for (auto it = node.begin(); it != node.end(); ++it) {
      Entry entry{KeyName(it->first), it->first, it->second};
      auto [previous, inserted] = first_line.emplace(entry.name, entry.key.Mark().line + 1);
      if (!inserted) {
        std::string where = previous->second > 0
                                ? "first defined at line " + std::to_string(previous->second)
                                : "also set elsewhere";
        Report(doc, JoinPath(path, entry.name), entry.key.Mark(), JoinPath(path, entry.name),
               "duplicate key (" + where + ")");
        continue;
      }
      state->entries.push_back(std::move(entry));
    }
  }
  MappingState* raw = state.get();
  doc.mappings.push_back(std::move(state));
  doc.mappings_by_path[path] = raw;
  return raw;
}

void ReportUnknownKeys(DocumentState& doc, const MappingState& mapping) {
  const std::vector<std::string>& local = mapping.declared_in_order;
  for (const Entry& entry : mapping.entries) {
    if (mapping.declared.count(entry.name)) continue;
    const std::string path = JoinPath(mapping.path, entry.name);
    std::string suggestion = ClosestName(entry.name, local);
    if (!suggestion.empty()) {
      suggestion = "'" + JoinPath(mapping.path, suggestion) + "'";
    } else {
      suggestion = ClosestSchemaKeys(path, doc.schema_keys);
    }
    std::string message = "unknown key";
    if (!suggestion.empty()) {
      message += "; did you mean " + suggestion + "?";
    } else if (!local.empty()) {
      message += " (expected one of " + JoinNames(local) + ")";
    }
    Report(doc, path, entry.key.Mark(), path, message);
  }
}

// ---- Overrides ------------------------------------------------------------------------------

bool IsValidOverrideKey(const std::string& key) {
  if (key.empty() || key.front() == '.' || key.back() == '.') return false;
  if (key.find("..") != std::string::npos) return false;
  return std::all_of(key.begin(), key.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '-' || c == '.';
  });
}

std::vector<std::string> SplitDotted(const std::string& key) {
  std::vector<std::string> parts;
  std::stringstream stream(key);
  std::string part;
  while (std::getline(stream, part, '.')) parts.push_back(part);
  return parts;
}

void ReportOverride(DocumentState& doc, const OverrideOrigin& origin, const std::string& key,
                    const std::string& message) {
  internal::PendingDiagnostic pending;
  pending.diagnostic.file = doc.name;
  pending.diagnostic.origin = origin.text;
  pending.diagnostic.key = key;
  pending.diagnostic.message = message;
  pending.override_order = origin.order;
  doc.diagnostics.push_back(std::move(pending));
}

// Sets `key` (already validated) to `value` under `root`, creating missing mappings, and records
// which paths the override created so later diagnostics point at it.
void SetOverride(DocumentState& doc, const std::string& key, const YAML::Node& value,
                 const OverrideOrigin& origin) {
  std::vector<std::string> parts = SplitDotted(key);
  YAML::Node current = doc.root;
  std::string path;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    path = JoinPath(path, parts[i]);
    YAML::Node next = current[parts[i]];
    if (!next.IsDefined() || next.IsNull()) {
      current[parts[i]] = YAML::Node(YAML::NodeType::Map);
      doc.origins[path] = origin;
    } else if (!next.IsMap()) {
      // Blame the override: the file's value stays and is checked on its own.
      ReportOverride(doc, origin, path,
                     "cannot set '" + key + "' because '" + path + "' is not a mapping (got " +
                         DescribeValue(next) + ")");
      return;
    }
    current.reset(current[parts[i]]);
  }
  current[parts.back()] = value;
  doc.origins[key] = origin;
}

void ApplyOverride(DocumentState& doc, const std::string& text, int order) {
  const OverrideOrigin origin{"override '" + text + "'", order};
  size_t equals = text.find('=');
  if (equals == std::string::npos) {
    ReportOverride(doc, origin, "", "missing '=' (expected KEY=VALUE, e.g. train.epochs=3)");
    return;
  }
  const std::string key = text.substr(0, equals);
  if (!IsValidOverrideKey(key)) {
    ReportOverride(
        doc, origin, "",
        "invalid key (got " + Quote(key) + "; expected a dotted key, e.g. train.epochs)");
    return;
  }
  YAML::Node value;
  try {
    value = YAML::Load(text.substr(equals + 1));
  } catch (const YAML::Exception& e) {
    ReportOverride(doc, origin, key, "invalid YAML value (" + e.msg + ")");
    return;
  }
  // Without a top-level mapping there is nothing to override; Root() reports why.
  if (doc.parsed && doc.root.IsMap()) SetOverride(doc, key, value, origin);
}

// ---- Reading files ------------------------------------------------------------------------------

std::shared_ptr<DocumentState> Parse(const std::string& text, const std::string& name) {
  auto doc = std::make_shared<DocumentState>();
  doc->name = name;
  try {
    doc->root = YAML::Load(text);
    doc->parsed = true;
  } catch (const YAML::ParserException& e) {
    Report(*doc, "", e.mark, "", "invalid YAML: " + e.msg);
  } catch (const YAML::Exception& e) {
    Report(*doc, "", e.mark, "", "invalid YAML: " + e.msg);
  }
  return doc;
}

bool LessByPosition(const internal::PendingDiagnostic& a, const internal::PendingDiagnostic& b) {
  bool a_override = a.override_order >= 0;
  bool b_override = b.override_order >= 0;
  if (a_override != b_override) return b_override;
  if (a_override) return a.override_order < b.override_order;
  if (a.diagnostic.line != b.diagnostic.line) return a.diagnostic.line < b.diagnostic.line;
  return a.diagnostic.column < b.diagnostic.column;
}

}  // namespace

// ---- Ranges -------------------------------------------------------------------------------------

std::string IntRange::DescribeBounds() const {
  constexpr int64_t kLowest = std::numeric_limits<int64_t>::min();
  constexpr int64_t kHighest = std::numeric_limits<int64_t>::max();
  if (min != kLowest && max != kHighest) {
    return " in [" + std::to_string(min) + ", " + std::to_string(max) + "]";
  }
  if (min != kLowest) return " >= " + std::to_string(min);
  if (max != kHighest) return " <= " + std::to_string(max);
  return "";
}

bool RealRange::Contains(double value) const {
  if (!std::isfinite(value)) return false;
  bool above = min_open ? value > min : value >= min;
  bool below = max_open ? value < max : value <= max;
  return above && below;
}

std::string RealRange::Describe() const {
  bool has_min = std::isfinite(min);
  bool has_max = std::isfinite(max);
  if (has_min && has_max) {
    return std::string("a number in ") + (min_open ? "(" : "[") + FormatReal(min) + ", " +
           FormatReal(max) + (max_open ? ")" : "]");
  }
  if (has_min) return std::string("a number ") + (min_open ? "> " : ">= ") + FormatReal(min);
  if (has_max) return std::string("a number ") + (max_open ? "< " : "<= ") + FormatReal(max);
  return "a number";
}

// ---- Emitting -----------------------------------------------------------------------------------

void EmitReal(double value, YAML::Emitter& out) { out << FormatReal(value); }

void EmitString(const std::string& value, YAML::Emitter& out) {
  out << YAML::DoubleQuoted << value;
}

std::string EmitToText(const std::function<void(YAML::Emitter&)>& emit) {
  YAML::Emitter out;
  emit(out);
  return out.c_str();
}

// ---- Mapping ------------------------------------------------------------------------------------

Mapping::Mapping(std::shared_ptr<internal::DocumentState> doc, internal::MappingState* state)
    : doc_(std::move(doc)), state_(state) {}

const std::string& Mapping::path() const { return state_->path; }

std::string Mapping::KeyPath(const std::string& key) const { return JoinPath(path(), key); }

bool Mapping::Has(const std::string& key) const {
  return std::any_of(state_->entries.begin(), state_->entries.end(),
                     [&](const Entry& e) { return e.name == key; });
}

std::vector<std::string> Mapping::Keys() const {
  std::vector<std::string> keys;
  for (const Entry& entry : state_->entries) keys.push_back(entry.name);
  return keys;
}

void Mapping::Declare(const std::string& key) const {
  if (state_->declared.insert(key).second) state_->declared_in_order.push_back(key);
  if (!state_->in_list) doc_->schema_keys.insert(KeyPath(key));
}

const internal::Entry* Mapping::Lookup(const std::string& key) const {
  Declare(key);
  for (const Entry& entry : state_->entries) {
    if (entry.name == key) return &entry;
  }
  return nullptr;
}

namespace {

// The scalar text of an entry, or nullptr after reporting a wrong type.
const std::string* ScalarOrReport(DocumentState& doc, const std::string& path, const Entry& entry,
                                  const std::string& expected) {
  if (entry.value.IsScalar()) return &entry.value.Scalar();
  ReportValue(doc, path, entry, WrongType(entry.value, expected));
  return nullptr;
}

std::optional<int64_t> ParseInteger(DocumentState& doc, const std::string& path, const Entry& entry,
                                    const IntRange& range) {
  const std::string* text = ScalarOrReport(doc, path, entry, range.Describe());
  if (text == nullptr) return std::nullopt;
  if (!LooksLikeInteger(*text)) {
    ReportValue(doc, path, entry, WrongType(entry.value, range.Describe()));
    return std::nullopt;
  }
  const char* begin = text->data() + (text->front() == '+' ? 1 : 0);
  int64_t value = 0;
  auto [end, error] = std::from_chars(begin, text->data() + text->size(), value);
  if (error != std::errc() || !range.Contains(value)) {
    ReportValue(doc, path, entry, OutOfRange(*text, range.Describe()));
    return std::nullopt;
  }
  return value;
}

}  // namespace

std::optional<int64_t> Mapping::Integer(const std::string& key, IntRange range) const {
  const Entry* entry = Lookup(key);
  if (entry == nullptr) return std::nullopt;
  return ParseInteger(*doc_, KeyPath(key), *entry, range);
}

std::optional<double> Mapping::Real(const std::string& key, RealRange range) const {
  const Entry* entry = Lookup(key);
  if (entry == nullptr) return std::nullopt;
  const std::string path = KeyPath(key);
  const std::string* text = ScalarOrReport(*doc_, path, *entry, range.Describe());
  if (text == nullptr) return std::nullopt;
  if (!LooksLikeReal(*text)) {
    ReportValue(*doc_, path, *entry, WrongType(entry->value, range.Describe()));
    return std::nullopt;
  }
  double value = std::strtod(text->c_str(), nullptr);
  if (!range.Contains(value)) {
    ReportValue(*doc_, path, *entry, OutOfRange(*text, range.Describe()));
    return std::nullopt;
  }
  return value;
}

std::optional<bool> Mapping::Bool(const std::string& key) const {
  const Entry* entry = Lookup(key);
  if (entry == nullptr) return std::nullopt;
  const std::string path = KeyPath(key);
  const std::string* text = ScalarOrReport(*doc_, path, *entry, "true or false");
  if (text == nullptr) return std::nullopt;
  std::optional<bool> value = ParseBool(*text);
  if (!value) ReportValue(*doc_, path, *entry, WrongType(entry->value, "true or false"));
  return value;
}

std::optional<std::string> Mapping::String(const std::string& key, StringRule rule) const {
  const Entry* entry = Lookup(key);
  if (entry == nullptr) return std::nullopt;
  const std::string path = KeyPath(key);
  const std::string expected = rule == StringRule::kNonEmpty ? "a non-empty string" : "a string";
  std::string value;
  if (!entry->value.IsNull()) {
    const std::string* text = ScalarOrReport(*doc_, path, *entry, expected);
    if (text == nullptr) return std::nullopt;
    value = *text;
  }
  if (rule == StringRule::kNonEmpty && value.empty()) {
    ReportValue(*doc_, path, *entry, "empty string (got \"\"; expected " + expected + ")");
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> Mapping::Choice(const std::string& key,
                                           const std::vector<std::string>& names) const {
  const Entry* entry = Lookup(key);
  if (entry == nullptr) return std::nullopt;
  const std::string path = KeyPath(key);
  const std::string expected = "one of " + JoinNames(names);
  const std::string* text = ScalarOrReport(*doc_, path, *entry, expected);
  if (text == nullptr) return std::nullopt;
  if (std::find(names.begin(), names.end(), *text) != names.end()) return *text;
  std::string message = "unknown value (got " + Quote(*text) + "; expected " + expected + ")";
  std::string suggestion = ClosestName(*text, names);
  if (!suggestion.empty()) message += "; did you mean '" + suggestion + "'?";
  ReportValue(*doc_, path, *entry, message);
  return std::nullopt;
}

std::optional<std::vector<int64_t>> Mapping::IntegerList(const std::string& key,
                                                         IntRange element_range) const {
  const Entry* entry = Lookup(key);
  if (entry == nullptr) return std::nullopt;
  const std::string path = KeyPath(key);
  if (!entry->value.IsSequence()) {
    ReportValue(*doc_, path, *entry,
                WrongType(entry->value, "a list of integers" + element_range.DescribeBounds()));
    return std::nullopt;
  }
  std::vector<int64_t> values;
  bool ok = true;
  for (size_t i = 0; i < entry->value.size(); ++i) {
    const Entry element{key, entry->key, entry->value[i]};
    const std::string element_path = path + "[" + std::to_string(i) + "]";
    auto value = ParseInteger(*doc_, element_path, element, element_range);
    if (value) values.push_back(*value);
    ok = ok && value.has_value();
  }
  if (!ok) return std::nullopt;
  return values;
}

std::optional<std::vector<std::string>> Mapping::StringList(const std::string& key,
                                                            StringRule rule) const {
  const Entry* entry = Lookup(key);
  if (entry == nullptr) return std::nullopt;
  const std::string path = KeyPath(key);
  const std::string expected = rule == StringRule::kNonEmpty ? "a non-empty string" : "a string";
  if (!entry->value.IsSequence()) {
    ReportValue(*doc_, path, *entry, WrongType(entry->value, "a list of strings"));
    return std::nullopt;
  }
  std::vector<std::string> values;
  bool ok = true;
  for (size_t i = 0; i < entry->value.size(); ++i) {
    const Entry element{key, entry->key, entry->value[i]};
    const std::string element_path = path + "[" + std::to_string(i) + "]";
    const std::string* text = ScalarOrReport(*doc_, element_path, element, expected);
    if (text != nullptr && rule == StringRule::kNonEmpty && text->empty()) {
      ReportValue(*doc_, element_path, element,
                  "empty string (got \"\"; expected " + expected + ")");
      text = nullptr;
    }
    if (text != nullptr) values.push_back(*text);
    ok = ok && text != nullptr;
  }
  if (!ok) return std::nullopt;
  return values;
}

Mapping Mapping::Section(const std::string& key) const {
  const std::string path = KeyPath(key);
  auto cached = doc_->mappings_by_path.find(path);
  if (cached != doc_->mappings_by_path.end()) return Mapping(doc_, cached->second);
  const Entry* entry = Lookup(key);
  YAML::Node node;
  YAML::Mark anchor = state_->anchor;
  std::string anchor_path = state_->anchor_path;
  if (entry != nullptr) {
    if (entry->value.IsMap() || entry->value.IsNull()) {
      node = entry->value;
      anchor = entry->key.Mark();
      anchor_path = path;
    } else {
      ReportValue(*doc_, path, *entry, WrongType(entry->value, "a mapping"));
    }
  }
  return Mapping(doc_, GetOrAddMapping(*doc_, path, node, anchor, anchor_path, state_->in_list));
}

std::vector<Mapping> Mapping::MappingList(const std::string& key) const {
  const Entry* entry = Lookup(key);
  if (entry == nullptr) return {};
  const std::string path = KeyPath(key);
  if (!entry->value.IsSequence()) {
    ReportValue(*doc_, path, *entry, WrongType(entry->value, "a list of mappings"));
    return {};
  }
  std::vector<Mapping> elements;
  for (size_t i = 0; i < entry->value.size(); ++i) {
    const YAML::Node item = entry->value[i];
    const std::string item_path = path + "[" + std::to_string(i) + "]";
    const Entry element{key, entry->key, item};
    if (!item.IsMap()) {
      ReportValue(*doc_, item_path, element, WrongType(item, "a mapping"));
      continue;
    }
    elements.push_back(Mapping(
        doc_, GetOrAddMapping(*doc_, item_path, item, ValueMark(element), item_path, true)));
  }
  return elements;
}

bool Mapping::Require(const std::string& key, const std::string& expected) const {
  if (Lookup(key) != nullptr) return true;
  Report(*doc_, state_->anchor_path, state_->anchor, KeyPath(key),
         "missing required key (expected " + expected + ")");
  return false;
}

void Mapping::ReportError(const std::string& key, const std::string& message) const {
  const std::string path = KeyPath(key);
  for (const Entry& entry : state_->entries) {
    if (entry.name == key) {
      ReportValue(*doc_, path, entry, message);
      return;
    }
  }
  Report(*doc_, state_->anchor_path, state_->anchor, path, message);
}

// ---- Document -----------------------------------------------------------------------------------

Document::Document(std::shared_ptr<internal::DocumentState> state) : state_(std::move(state)) {}

Document Document::FromFile(const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    auto doc = std::make_shared<DocumentState>();
    doc->name = path;
    Report(*doc, "", YAML::Mark::null_mark(), "", "cannot read file (Is a directory)");
    return Document(doc);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    auto doc = std::make_shared<DocumentState>();
    doc->name = path;
    Report(*doc, "", YAML::Mark::null_mark(), "",
           std::string("cannot read file (") + std::strerror(errno) + ")");
    return Document(doc);
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return Document(Parse(buffer.str(), path));
}

Document Document::FromString(const std::string& text, const std::string& display_name) {
  return Document(Parse(text, display_name));
}

const std::string& Document::display_name() const { return state_->name; }

void Document::ApplyOverrides(const std::vector<std::string>& overrides) {
  for (size_t i = 0; i < overrides.size(); ++i) {
    ApplyOverride(*state_, overrides[i], static_cast<int>(i));
  }
}

std::optional<Mapping> Document::Root() const {
  DocumentState& doc = *state_;
  if (doc.root_checked) {
    if (doc.root_mapping == nullptr) return std::nullopt;
    return Mapping(state_, doc.root_mapping);
  }
  doc.root_checked = true;
  if (!doc.parsed) return std::nullopt;
  if (doc.root.IsNull()) {
    Report(doc, "", YAML::Mark::null_mark(), "", "empty document (expected a mapping of keys)");
    return std::nullopt;
  }
  if (!doc.root.IsMap()) {
    Report(doc, "", doc.root.Mark(), "",
           "top level is not a mapping (got " + DescribeValue(doc.root) +
               "; expected a mapping of keys)");
    return std::nullopt;
  }
  doc.root_mapping = GetOrAddMapping(doc, "", doc.root, doc.root.Mark(), "", false);
  return Mapping(state_, doc.root_mapping);
}

std::vector<ConfigDiagnostic> Document::Finish() {
  DocumentState& doc = *state_;
  if (!doc.finished) {
    doc.finished = true;
    // Index-based: reporting never adds mappings, but keep clear of iterator invalidation.
    for (size_t i = 0; i < doc.mappings.size(); ++i) ReportUnknownKeys(doc, *doc.mappings[i]);
    std::stable_sort(doc.diagnostics.begin(), doc.diagnostics.end(), LessByPosition);
    // A value read twice is reported twice; keep the first.
    std::set<std::string> seen;
    auto repeated = [&seen](const internal::PendingDiagnostic& pending) {
      return !seen.insert(pending.diagnostic.ToString()).second;
    };
    doc.diagnostics.erase(std::remove_if(doc.diagnostics.begin(), doc.diagnostics.end(), repeated),
                          doc.diagnostics.end());
  }
  std::vector<ConfigDiagnostic> diagnostics;
  for (const auto& pending : doc.diagnostics) diagnostics.push_back(pending.diagnostic);
  return diagnostics;
}

void Document::ThrowIfErrors() {
  std::vector<ConfigDiagnostic> diagnostics = Finish();
  if (!diagnostics.empty()) throw ConfigError(std::move(diagnostics));
}

}  // namespace hwnas::yaml
