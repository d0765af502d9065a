// Reads YAML documents (config, NetSpec, search-space and device files) against declared keys:
// every value is checked for type and range, located by dotted key and FILE:LINE:COL (or by the
// command-line override it came from), and every problem is collected, not just the first.
//   Document (text + key=value overrides) -> Mapping getters or Schema<T> -> Finish():
//   unknown keys with a did-you-mean suggestion, diagnostics sorted by position, overrides last.
// INTERNAL: this header includes yaml-cpp, so include it only from .cpp files of core/ and of the
// torch-free libraries that read their own YAML files (latency/); public
// headers hand out plain structs and ConfigError, never a YAML::Node.
//
// Example, a device file "name: pixel1\nthreads: 4\ncores: [0, 1]":
//   yaml::Document doc = yaml::Document::FromFile(path);
//   doc.ApplyOverrides(overrides);                    // optional
//   DeviceFile device;
//   if (auto root = doc.Root()) {
//     if (auto name = root->String("name", yaml::StringRule::kNonEmpty)) device.name = *name;
//     if (auto t = root->Integer("threads", yaml::IntRange::Between(1, 256))) device.threads = *t;
//     if (auto cores = root->IntegerList("cores", yaml::IntRange::AtLeast(0))) {
//       device.cores = *cores;
//     }
//   }
//   doc.ThrowIfErrors();  // ConfigError with every diagnostic, unknown keys included
// or declare the fields once with Schema<DeviceFile> and call schema.Read(*root, &device); the
// same Schema prints the struct back as YAML (Write) and documents its keys (Describe).
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/errors.h"

namespace hwnas::yaml {

// Accepted integers, both bounds inclusive.
struct IntRange {
  int64_t min = std::numeric_limits<int64_t>::min();
  int64_t max = std::numeric_limits<int64_t>::max();

  static IntRange Any() { return {}; }
  static IntRange AtLeast(int64_t lo) { return {lo, std::numeric_limits<int64_t>::max()}; }
  static IntRange Between(int64_t lo, int64_t hi) { return {lo, hi}; }
  bool Contains(int64_t value) const { return value >= min && value <= max; }
  // "an integer in [1, 256]", "an integer >= 0", "an integer"
  std::string Describe() const { return "an integer" + DescribeBounds(); }
  // " in [1, 256]", " >= 0", ""
  std::string DescribeBounds() const;
};

// Accepted finite numbers; each bound is inclusive unless marked open.
struct RealRange {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_open = false;
  bool max_open = false;

  static RealRange Any() { return {}; }
  static RealRange AtLeast(double lo) { return {lo, std::numeric_limits<double>::infinity()}; }
  static RealRange Closed(double lo, double hi) { return {lo, hi, false, false}; }     // [lo, hi]
  static RealRange OpenClosed(double lo, double hi) { return {lo, hi, true, false}; }  // (lo, hi]
  static RealRange ClosedOpen(double lo, double hi) { return {lo, hi, false, true}; }  // [lo, hi)
  bool Contains(double value) const;
  // "a number in [0, 1)", "a number >= 0", "a number"
  std::string Describe() const;
};

enum class StringRule { kAny, kNonEmpty };
enum class Presence { kOptional, kRequired };

namespace internal {
struct DocumentState;
struct MappingState;
struct Entry;
}  // namespace internal

// A view of one YAML mapping at a dotted path ("" for the top level, "data.augment", "layers[2]").
// Every getter declares its key as known here; keys present in the document that nobody
// declared are reported by Document::Finish. Getters return nullopt when the key is absent or
// its value is invalid (then a diagnostic is recorded), so callers keep their defaults.
// A null value (`key:` with nothing after it) is an empty string for String and an empty
// mapping for Section; for every other getter it is a wrong type.
class Mapping {
 public:
  const std::string& path() const;
  std::string KeyPath(const std::string& key) const;  // "data" + "path" -> "data.path"
  bool Has(const std::string& key) const;             // present (does not declare the key)
  std::vector<std::string> Keys() const;              // present keys, in document order

  std::optional<int64_t> Integer(const std::string& key, IntRange range = {}) const;
  std::optional<double> Real(const std::string& key, RealRange range = {}) const;
  std::optional<bool> Bool(const std::string& key) const;  // true/false (also yes/no, on/off)
  std::optional<std::string> String(const std::string& key,
                                    StringRule rule = StringRule::kAny) const;
  // One of `names`; a wrong value lists them and suggests the closest.
  std::optional<std::string> Choice(const std::string& key,
                                    const std::vector<std::string>& names) const;
  std::optional<std::vector<int64_t>> IntegerList(const std::string& key,
                                                  IntRange element_range = {}) const;
  std::optional<std::vector<std::string>> StringList(const std::string& key,
                                                     StringRule rule = StringRule::kAny) const;

  // The mapping under `key`; empty when absent or invalid (reported), so reading on is safe.
  Mapping Section(const std::string& key) const;
  // The mappings of a sequence under `key` ("layers[0]", "layers[1]", ...); empty if absent.
  std::vector<Mapping> MappingList(const std::string& key) const;

  // Declares `key`; if it is absent, reports "missing required key (expected WHAT)" at this
  // mapping (or its nearest ancestor present in the document). Returns whether it is present.
  bool Require(const std::string& key, const std::string& expected) const;
  // Declares `key` as known without reading it.
  void Declare(const std::string& key) const;
  // Reports a problem with the value of `key` (located at the value, at this mapping if the key
  // is absent, or at the override that set it), e.g. for rules across several keys.
  void ReportError(const std::string& key, const std::string& message) const;

 private:
  friend class Document;
  Mapping(std::shared_ptr<internal::DocumentState> doc, internal::MappingState* state);
  const internal::Entry* Lookup(const std::string& key) const;  // declares; nullptr if absent

  std::shared_ptr<internal::DocumentState> doc_;
  internal::MappingState* state_;
};

// One YAML document and the diagnostics found while reading it.
class Document {
 public:
  // Reads `path`; an unreadable file or a YAML syntax error becomes a diagnostic, not a throw.
  static Document FromFile(const std::string& path);
  // `display_name` stands for the file name in diagnostics.
  static Document FromString(const std::string& text, const std::string& display_name);

  const std::string& display_name() const;

  // Applies "dotted.key=value" overrides in order; the value is parsed as a YAML scalar or flow
  // value ("3", "\"my run\"", "[1, 2]", "{a: 1}"), missing mappings on the way are created, and
  // later reads of these keys report problems as "override 'KEY=VALUE'". Call before Root().
  void ApplyOverrides(const std::vector<std::string>& overrides);

  // The top-level mapping; nullopt (reported) when the file could not be read or parsed, is
  // empty, or is not a mapping.
  std::optional<Mapping> Root() const;

  // Reports present but undeclared keys, then returns every diagnostic: file-level problems
  // first, then by line and column, then overrides in command-line order.
  std::vector<ConfigDiagnostic> Finish();
  // Finish(); throws ConfigError when there is any diagnostic.
  void ThrowIfErrors();

 private:
  explicit Document(std::shared_ptr<internal::DocumentState> state);
  std::shared_ptr<internal::DocumentState> state_;
};

// One row of a schema's documentation.
struct KeyDoc {
  std::string key;            // dotted, e.g. "train.epochs"
  std::string type;           // "an integer in [1, 10000]", "a mapping", ...
  std::string default_value;  // YAML text of the default; empty for mappings
  std::string doc;
  bool required = false;
};

// The declared keys of one kind of mapping, each bound to a member of T; one line per key:
//   yaml::Schema<TrainOptions> s;
//   s.Integer("epochs", &TrainOptions::epochs, yaml::IntRange::Between(1, 10000), "passes");
// Defaults are those of a default-constructed T: Read only overwrites keys that are present.
// The same declarations drive reading, printing (Write) and documentation (Describe).
template <typename T>
class Schema {
 public:
  template <typename I>
  Schema& Integer(const std::string& key, I T::*member, IntRange range, const std::string& doc,
                  Presence presence = Presence::kOptional);
  Schema& Real(const std::string& key, double T::*member, RealRange range, const std::string& doc,
               Presence presence = Presence::kOptional);
  Schema& Bool(const std::string& key, bool T::*member, const std::string& doc,
               Presence presence = Presence::kOptional);
  Schema& String(const std::string& key, std::string T::*member, StringRule rule,
                 const std::string& doc, Presence presence = Presence::kOptional);
  // A string restricted to `names`.
  Schema& Choice(const std::string& key, std::string T::*member, std::vector<std::string> names,
                 const std::string& doc, Presence presence = Presence::kOptional);
  // An enum spelled by name in YAML.
  template <typename E>
  Schema& Enum(const std::string& key, E T::*member, std::vector<std::pair<std::string, E>> names,
               const std::string& doc, Presence presence = Presence::kOptional);
  template <typename I>
  Schema& IntegerList(const std::string& key, std::vector<I> T::*member, IntRange element_range,
                      const std::string& doc, Presence presence = Presence::kOptional);
  Schema& StringList(const std::string& key, std::vector<std::string> T::*member, StringRule rule,
                     const std::string& doc, Presence presence = Presence::kOptional);
  // A nested mapping read with its own schema; an absent section keeps its defaults.
  template <typename S>
  Schema& Section(const std::string& key, S T::*member, Schema<S> schema, const std::string& doc);
  // This schema's keys followed by `other`'s: a mapping put together from shared parts.
  Schema& Append(const Schema& other) {
    fields_.insert(fields_.end(), other.fields_.begin(), other.fields_.end());
    return *this;
  }

  // Reads every declared key present in `mapping` into `out`; reports missing required keys.
  void Read(const Mapping& mapping, T* out) const;
  // Emits `value` as a block mapping with every declared key, in declaration order.
  void Write(const T& value, YAML::Emitter& out) const;
  // Appends one row per key (sections first, then their keys), defaults taken from `defaults`.
  void Describe(const T& defaults, const std::string& prefix, std::vector<KeyDoc>* rows) const;

 private:
  struct Field {
    std::string key;
    std::string type;
    std::string doc;
    Presence presence;
    std::function<void(const Mapping&, T*)> read;
    std::function<void(const T&, YAML::Emitter&)> emit;
    // Set for sections only: their own rows.
    std::function<void(const T&, const std::string&, std::vector<KeyDoc>*)> describe;
  };
  Schema& Add(Field field) {
    fields_.push_back(std::move(field));
    return *this;
  }
  std::vector<Field> fields_;
};

// Emitting helpers shared by Schema<T> (defined in yaml_reader.cpp).
void EmitReal(double value, YAML::Emitter& out);  // shortest text that reads back exactly
void EmitString(const std::string& value, YAML::Emitter& out);  // always double-quoted
std::string EmitToText(const std::function<void(YAML::Emitter&)>& emit);

// ---------------------------------------------------------------------------------------------
// Schema<T> implementation.

template <typename T>
template <typename I>
Schema<T>& Schema<T>::Integer(const std::string& key, I T::*member, IntRange range,
                              const std::string& doc, Presence presence) {
  static_assert(std::is_integral_v<I> && !std::is_same_v<I, bool>, "use Bool for bool");
  // Never accept a value the member cannot hold.
  if constexpr (std::is_signed_v<I>) {
    range.min = std::max<int64_t>(range.min, std::numeric_limits<I>::min());
  } else {
    range.min = std::max<int64_t>(range.min, 0);
  }
  if constexpr (sizeof(I) < sizeof(int64_t)) {
    range.max = std::min<int64_t>(range.max, std::numeric_limits<I>::max());
  }
  return Add({key, range.Describe(), doc, presence,
              [key, member, range](const Mapping& m, T* out) {
                if (auto v = m.Integer(key, range)) out->*member = static_cast<I>(*v);
              },
              [member](const T& in, YAML::Emitter& out) { out << in.*member; }, nullptr});
}

template <typename T>
Schema<T>& Schema<T>::Real(const std::string& key, double T::*member, RealRange range,
                           const std::string& doc, Presence presence) {
  return Add({key, range.Describe(), doc, presence,
              [key, member, range](const Mapping& m, T* out) {
                if (auto v = m.Real(key, range)) out->*member = *v;
              },
              [member](const T& in, YAML::Emitter& out) { EmitReal(in.*member, out); }, nullptr});
}

template <typename T>
Schema<T>& Schema<T>::Bool(const std::string& key, bool T::*member, const std::string& doc,
                           Presence presence) {
  return Add({key, "true or false", doc, presence,
              [key, member](const Mapping& m, T* out) {
                if (auto v = m.Bool(key)) out->*member = *v;
              },
              [member](const T& in, YAML::Emitter& out) { out << (in.*member ? "true" : "false"); },
              nullptr});
}

template <typename T>
Schema<T>& Schema<T>::String(const std::string& key, std::string T::*member, StringRule rule,
                             const std::string& doc, Presence presence) {
  return Add({key, rule == StringRule::kNonEmpty ? "a non-empty string" : "a string", doc, presence,
              [key, member, rule](const Mapping& m, T* out) {
                if (auto v = m.String(key, rule)) out->*member = *v;
              },
              [member](const T& in, YAML::Emitter& out) { EmitString(in.*member, out); }, nullptr});
}

template <typename T>
Schema<T>& Schema<T>::Choice(const std::string& key, std::string T::*member,
                             std::vector<std::string> names, const std::string& doc,
                             Presence presence) {
  std::string type = "one of";
  for (size_t i = 0; i < names.size(); ++i) type += (i == 0 ? " " : ", ") + names[i];
  return Add({key, type, doc, presence,
              [key, member, names](const Mapping& m, T* out) {
                if (auto v = m.Choice(key, names)) out->*member = *v;
              },
              [member](const T& in, YAML::Emitter& out) { out << in.*member; }, nullptr});
}

template <typename T>
template <typename E>
Schema<T>& Schema<T>::Enum(const std::string& key, E T::*member,
                           std::vector<std::pair<std::string, E>> names, const std::string& doc,
                           Presence presence) {
  std::vector<std::string> spelled;
  for (const auto& entry : names) spelled.push_back(entry.first);
  std::string type = "one of";
  for (size_t i = 0; i < spelled.size(); ++i) type += (i == 0 ? " " : ", ") + spelled[i];
  return Add({key, type, doc, presence,
              [key, member, names, spelled](const Mapping& m, T* out) {
                auto v = m.Choice(key, spelled);
                if (!v) return;
                for (const auto& entry : names) {
                  if (entry.first == *v) out->*member = entry.second;
                }
              },
              [member, names](const T& in, YAML::Emitter& out) {
                for (const auto& entry : names) {
                  if (entry.second == in.*member) out << entry.first;
                }
              },
              nullptr});
}

template <typename T>
template <typename I>
Schema<T>& Schema<T>::IntegerList(const std::string& key, std::vector<I> T::*member,
                                  IntRange element_range, const std::string& doc,
                                  Presence presence) {
  static_assert(std::is_integral_v<I> && !std::is_same_v<I, bool>, "integers only");
  return Add({key, "a list of integers" + element_range.DescribeBounds(), doc, presence,
              [key, member, element_range](const Mapping& m, T* out) {
                auto v = m.IntegerList(key, element_range);
                if (!v) return;
                (out->*member).assign(v->begin(), v->end());
              },
              [member](const T& in, YAML::Emitter& out) {
                out << YAML::Flow << YAML::BeginSeq;
                for (I element : in.*member) out << element;
                out << YAML::EndSeq;
              },
              nullptr});
}

template <typename T>
Schema<T>& Schema<T>::StringList(const std::string& key, std::vector<std::string> T::*member,
                                 StringRule rule, const std::string& doc, Presence presence) {
  return Add({key,
              rule == StringRule::kNonEmpty ? "a list of non-empty strings" : "a list of strings",
              doc, presence,
              [key, member, rule](const Mapping& m, T* out) {
                if (auto v = m.StringList(key, rule)) out->*member = *v;
              },
              [member](const T& in, YAML::Emitter& out) {
                out << YAML::Flow << YAML::BeginSeq;
                for (const auto& element : in.*member) EmitString(element, out);
                out << YAML::EndSeq;
              },
              nullptr});
}

template <typename T>
template <typename S>
Schema<T>& Schema<T>::Section(const std::string& key, S T::*member, Schema<S> schema,
                              const std::string& doc) {
  return Add(
      {key, "a mapping", doc, Presence::kOptional,
       [key, member, schema](const Mapping& m, T* out) {
         schema.Read(m.Section(key), &(out->*member));
       },
       [member, schema](const T& in, YAML::Emitter& out) { schema.Write(in.*member, out); },
       [member, schema](const T& defaults, const std::string& prefix, std::vector<KeyDoc>* rows) {
         schema.Describe(defaults.*member, prefix, rows);
       }});
}

template <typename T>
void Schema<T>::Read(const Mapping& mapping, T* out) const {
  for (const Field& field : fields_) {
    if (field.presence == Presence::kRequired && !mapping.Require(field.key, field.type)) continue;
    field.read(mapping, out);
  }
}

template <typename T>
void Schema<T>::Write(const T& value, YAML::Emitter& out) const {
  out << YAML::BeginMap;
  for (const Field& field : fields_) {
    out << YAML::Key << field.key << YAML::Value;
    field.emit(value, out);
  }
  out << YAML::EndMap;
}

template <typename T>
void Schema<T>::Describe(const T& defaults, const std::string& prefix,
                         std::vector<KeyDoc>* rows) const {
  for (const Field& field : fields_) {
    std::string key = prefix.empty() ? field.key : prefix + "." + field.key;
    if (field.describe) {
      rows->push_back({key, field.type, "", field.doc, false});
      field.describe(defaults, key, rows);
      continue;
    }
    std::string default_text = EmitToText([&](YAML::Emitter& out) { field.emit(defaults, out); });
    rows->push_back(
        {key, field.type, default_text, field.doc, field.presence == Presence::kRequired});
  }
}

}  // namespace hwnas::yaml
