#include "latency/table.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "core/atomic_file.h"
#include "core/errors.h"
#include "core/text.h"
#include "core/yaml_reader.h"
#include "latency/haq_table.h"
#include "latency/op_key.h"

namespace hwnas::latency {
namespace {

bool IsUnknownOrNonNegative(double value) {
  return std::isnan(value) || (std::isfinite(value) && value >= 0);
}

std::string CheckedKeyAndStats(const std::string& key, const LatencyEntry& stats) {
  std::string error;
  ParsedKey parsed;
  if (!IsHaqLayerKey(key) && !TryParseOpKey(key, &parsed, &error))
    return "malformed op key '" + key + "': " + error;
  error = ValidateStats(stats);
  if (!error.empty()) return "latency entry '" + key + "': " + error;
  return "";
}

// ---- Import -------------------------------------------------------------------------------------

// Line and column of each top-level plain key ("KEY:" at column 1), first occurrence, so that
// a malformed key is reported where it is written rather than at its first value.
std::map<std::string, int> TopLevelKeyLines(const std::string& text) {
  std::map<std::string, int> lines;
  std::istringstream in(text);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty() || std::strchr(" \t#-{['\"", line[0]) != nullptr) continue;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty() || line.back() != ':') continue;
    lines.emplace(line.substr(0, line.size() - 1), number);
  }
  return lines;
}

// Reads one entry's numbers; nullopt (with diagnostics recorded) when any is missing or invalid.
std::optional<LatencyEntry> ReadEntryStats(const yaml::Mapping& entry) {
  using yaml::IntRange;
  using yaml::RealRange;
  entry.Require("count", "an integer >= 1");
  entry.Require("mean", "a number >= 0 (ms)");
  const bool has_var = entry.Has("var");
  const bool has_std = entry.Has("std");
  if (has_var && has_std) entry.ReportError("std", "give either var or std, not both");
  if (!has_var && !has_std) {
    entry.ReportError("std", "missing required key (expected var or std, a number >= 0)");
  }
  const auto count = entry.Integer("count", IntRange::AtLeast(1));
  const auto mean = entry.Real("mean", RealRange::AtLeast(0));
  const auto var = entry.Real("var", RealRange::AtLeast(0));
  const auto stdev = entry.Real("std", RealRange::AtLeast(0));
  if (!count || !mean || has_var == has_std || (!var && !stdev)) return std::nullopt;
  LatencyEntry stats;
  stats.count = *count;
  stats.mean = *mean;
  stats.median = *mean;
  stats.stddev = var ? std::sqrt(*var) : *stdev;
  stats.p10 = stats.p90 = std::numeric_limits<double>::quiet_NaN();
  return stats;
}

struct ImportState {
  const std::string& display_name;
  std::map<std::string, int> key_lines;
  std::vector<ConfigDiagnostic> key_problems;  // located by key_lines
  LatencyTable* table;
};

void ReadEntry(const yaml::Mapping& root, const std::string& key, ImportState& state) {
  std::string error;
  ParsedKey parsed;
  const bool key_ok = TryParseOpKey(key, &parsed, &error);
  if (!key_ok) {
    const std::string message = "malformed op key: " + error;
    auto line = state.key_lines.find(key);
    if (line != state.key_lines.end()) {
      state.key_problems.push_back({state.display_name, line->second, 1, "", key, message});
    } else {
      root.ReportError(key, message);
    }
  }
  const yaml::Mapping entry = root.Section(key);
  std::optional<LatencyEntry> stats = ReadEntryStats(entry);
  if (key_ok && stats) state.table->Insert(key, *stats);
}

// Drops "missing key" noise under an entry whose value is not a mapping at all (reported once).
void DropChildrenOfWrongTypes(std::vector<ConfigDiagnostic>* diagnostics) {
  std::set<std::string> wrong;
  for (const auto& d : *diagnostics) {
    if (d.message.rfind("wrong type", 0) == 0) wrong.insert(d.key + ".");
  }
  auto is_child = [&wrong](const ConfigDiagnostic& d) {
    return std::any_of(wrong.begin(), wrong.end(),
                       [&d](const std::string& p) { return d.key.rfind(p, 0) == 0; });
  };
  diagnostics->erase(std::remove_if(diagnostics->begin(), diagnostics->end(), is_child),
                     diagnostics->end());
}

[[noreturn]] void ThrowImportErrors(std::vector<ConfigDiagnostic> diagnostics) {
  std::stable_sort(diagnostics.begin(), diagnostics.end(), [](const auto& a, const auto& b) {
    return a.line != b.line ? a.line < b.line : a.column < b.column;
  });
  std::string message;
  for (const auto& d : diagnostics) message += (message.empty() ? "" : "\n") + d.ToString();
  throw DataError(message);
}

std::string ReadWholeFile(const std::string& path) {
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored)) {
    throw DataError(path + ": cannot read latency table file (Is a directory)");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw DataError(path + ": cannot read latency table file (" + std::strerror(errno) + ")");
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// ---- Export -------------------------------------------------------------------------------------

std::string ExportProblem(const LatencyEntry& s) {
  if (s.count < 1) return "count " + std::to_string(s.count) + " (the format needs >= 1)";
  if (!std::isfinite(s.mean) || s.mean < 0) return "mean " + FormatExact(s.mean);
  if (!std::isfinite(s.stddev) || s.stddev < 0) return "std " + FormatExact(s.stddev);
  return "";
}

}  // namespace

// ---- LatencyTable
// ---------------------------------------------------------------------------------

const LatencyEntry* LatencyTable::Find(const std::string& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

const LatencyEntry& LatencyTable::At(const std::string& key) const {
  const LatencyEntry* stats = Find(key);
  if (stats == nullptr) {
    throw DataError("latency table of device '" + info_.device + "' (space '" + info_.space +
                    "') has no entry for '" + key + "'");
  }
  return *stats;
}

void LatencyTable::Insert(const std::string& key, const LatencyEntry& entry) {
  if (Contains(key)) throw DataError("duplicate latency table key '" + key + "'");
  Set(key, entry);
}

void LatencyTable::Set(const std::string& key, const LatencyEntry& entry) {
  const std::string error = CheckedKeyAndStats(key, entry);
  if (!error.empty()) throw DataError(error);
  LatencyEntry& stored = entries_[key] = entry;
  stored.op_key = key;
  stored.unit = info_.unit;
}

std::vector<std::string> LatencyTable::Keys() const {
  std::vector<std::string> keys;
  keys.reserve(entries_.size());
  for (const auto& entry : entries_) keys.push_back(entry.first);
  return keys;
}

std::vector<std::string> LatencyTable::MissingKeys(const std::vector<std::string>& keys) const {
  std::vector<std::string> missing;
  std::set<std::string> seen;
  for (const auto& key : keys) {
    if (!Contains(key) && seen.insert(key).second) missing.push_back(key);
  }
  return missing;
}

std::string ValidateStats(const LatencyEntry& s) {
  if (!std::isfinite(s.mean) || s.mean < 0) {
    return "mean " + FormatExact(s.mean) + " is not a finite number >= 0";
  }
  if (!std::isfinite(s.stddev) || s.stddev < 0) {
    return "std " + FormatExact(s.stddev) + " is not a finite number >= 0";
  }
  if (!IsUnknownOrNonNegative(s.median) || !IsUnknownOrNonNegative(s.p10) ||
      !IsUnknownOrNonNegative(s.p90)) {
    return "median, p10 and p90 must be finite numbers >= 0 (or NaN when unknown)";
  }
  if (s.count < 0) return "count " + std::to_string(s.count) + " is negative";
  return "";
}

// ---- Store records ----------------------------------------------------------------------------

results::LatencyTableRecord ToRecord(const LatencyTable& table) {
  const TableInfo& info = table.info();
  results::LatencyTableRecord record;
  record.id = info.store_id;
  record.device = {info.device, info.device_kind, info.fingerprint, info.device_properties_json};
  record.space = info.space;
  record.source = info.source;
  record.created_at = info.created_at;
  record.properties_json = info.properties_json;
  record.entry_count = static_cast<int64_t>(table.size());
  record.entries.reserve(table.size());
  for (const auto& [key, entry] : table.entries()) record.entries.push_back(entry);
  return record;
}

LatencyTable FromRecord(const results::LatencyTableRecord& record) {
  TableInfo info;
  info.device = record.device.name;
  info.device_kind = record.device.kind;
  info.fingerprint = record.device.fingerprint;
  info.device_properties_json = record.device.properties_json;
  info.space = record.space;
  info.source = record.source;
  info.properties_json = record.properties_json;
  info.store_id = record.id;
  info.created_at = record.created_at;
  if (!record.entries.empty()) info.unit = record.entries.front().unit;
  LatencyTable table(info);
  for (const auto& e : record.entries) {
    if (e.unit != info.unit) {
      throw DataError("latency entry '" + e.op_key + "' is in '" + e.unit + "', the table in '" +
                      info.unit + "'");
    }
    table.Insert(e.op_key, e);
  }
  return table;
}

// ---- YAML files -------------------------------------------------------------------------------

LatencyTable ParseProxylessYaml(const std::string& text, const std::string& display_name,
                                const TableInfo& info) {
  LatencyTable table(info);
  yaml::Document doc = yaml::Document::FromString(text, display_name);
  ImportState state{display_name, TopLevelKeyLines(text), {}, &table};
  if (auto root = doc.Root()) {
    const std::vector<std::string> keys = root->Keys();
    for (const std::string& key : keys) ReadEntry(*root, key, state);
    if (keys.empty()) {
      state.key_problems.push_back({display_name, 0, 0, "", "", "the table has no entries"});
    }
  }
  std::vector<ConfigDiagnostic> diagnostics = doc.Finish();
  DropChildrenOfWrongTypes(&diagnostics);
  diagnostics.insert(diagnostics.end(), state.key_problems.begin(), state.key_problems.end());
  if (!diagnostics.empty()) ThrowImportErrors(std::move(diagnostics));
  return table;
}

LatencyTable ImportProxylessYaml(const std::string& path, const TableInfo& info) {
  return ParseProxylessYaml(ReadWholeFile(path), path, info);
}

namespace {

// YAML comments, so other tools read the file unchanged while hwnas can check where the
// numbers come from before it trusts them as this machine's (DeclaredFingerprint).
std::string ProvenanceHeader(const TableInfo& info) {
  if (info.fingerprint.empty()) return "";
  return "# hwnas latency table\n# device: " + info.device +
         "\n# fingerprint: " + info.fingerprint + "\n# space: " + info.space + "\n";
}

}  // namespace

std::string ProxylessYamlText(const LatencyTable& table) {
  std::string text = ProvenanceHeader(table.info());
  for (const auto& [key, stats] : table.entries()) {
    const std::string problem = ExportProblem(stats);
    if (!problem.empty()) {
      throw DataError("cannot export latency entry '" + key + "': " + problem);
    }
    text += key + ":\n  count: " + std::to_string(stats.count) +
            "\n  mean: " + FormatExact(stats.mean) + "\n  std: " + FormatExact(stats.stddev) + "\n";
  }
  return text;
}

void ExportProxylessYaml(const LatencyTable& table, const std::string& path) {
  WriteFileAtomically(path, ProxylessYamlText(table), "latency table");
}

std::optional<std::string> DeclaredFingerprint(const std::string& path) {
  std::ifstream in(path);
  const std::string marker = "# fingerprint: ";
  std::string line;
  while (std::getline(in, line) && line.rfind("#", 0) == 0) {
    if (line.rfind(marker, 0) == 0) return line.substr(marker.size());
  }
  return std::nullopt;
}

}  // namespace hwnas::latency
