// LatencyTable: op key -> latency entry (core/latency_entry.h) for one device under one
// fingerprint, plus where the numbers came from; conversion to and from the store's records; and
// the ProxylessNAS/OFA YAML file format the published tables use (import validates everything,
// export is atomic).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/latency_records.h"
#include "latency/device.h"

namespace hwnas::latency {

struct TableInfo {
  std::string device;                 // device name, e.g. "pixel1"
  std::string device_kind = "table";  // DeviceKindName of the device
  std::string fingerprint;            // conditions the numbers hold for
  std::string device_properties_json = "{}";
  std::string space;  // search space (or table) name the keys belong to
  results::LatencySource source = results::LatencySource::kImported;
  std::string unit = "ms";             // every entry's unit
  std::string properties_json = "{}";  // e.g. the imported file, warm-up and repetitions
  int64_t store_id = 0;                // the store's table id when loaded from it, else 0
  double created_at = 0;               // seconds since the Unix epoch; 0: not stored yet
};

class LatencyTable {
 public:
  LatencyTable() = default;
  explicit LatencyTable(TableInfo info) : info_(std::move(info)) {}

  const TableInfo& info() const { return info_; }
  TableInfo& mutable_info() { return info_; }

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  bool Contains(const std::string& key) const { return entries_.count(key) > 0; }
  // nullptr when absent.
  const LatencyEntry* Find(const std::string& key) const;
  // Throws DataError naming the key and the table when absent.
  const LatencyEntry& At(const std::string& key) const;

  // Adds an entry under `key` in the table's unit (whatever the entry's own op_key and unit;
  // a measurement's other fields are dropped). Throws DataError naming the key when it is
  // already present, malformed (ParseOpKey) or its numbers are invalid (see ValidateStats).
  void Insert(const std::string& key, const LatencyEntry& entry);
  // Adds or replaces an entry (same checks, except duplicates).
  void Set(const std::string& key, const LatencyEntry& entry);

  std::vector<std::string> Keys() const;  // byte-wise sorted
  // The keys of `keys` that the table lacks, in first-seen order, each once.
  std::vector<std::string> MissingKeys(const std::vector<std::string>& keys) const;
  // Every entry carries its key and the table's unit.
  const std::map<std::string, LatencyEntry>& entries() const { return entries_; }

 private:
  TableInfo info_;
  std::map<std::string, LatencyEntry> entries_;
};

// Entry numbers a table accepts: mean and std finite and >= 0, count >= 0; median, p10, p90
// finite and >= 0, or NaN for "not known" (imported files give only mean and spread).
// Returns what is wrong, or "" when valid.
std::string ValidateStats(const LatencyEntry& entry);

// Conversions to and from the store's plain records (results/latency_records.h), whose entries
// are the table's own. FromRecord validates every key and entry like Insert (DataError naming the
// key).
results::LatencyTableRecord ToRecord(const LatencyTable& table);
LatencyTable FromRecord(const results::LatencyTableRecord& record);

// ---- The ProxylessNAS/OFA YAML format ---------------------------------------------------------
// A top-level mapping of op key -> {count: INT >= 1, mean: ms >= 0, var: ms^2 >= 0 | std: ms >= 0}
// (exactly one of var and std; nothing else). var is converted to std = sqrt(var). Imported
// entries get median = mean, and p10 = p90 = NaN (the format has no percentiles).

// Reads a table file. Every problem (syntax, duplicate or malformed key, a missing, extra or
// invalid number) is reported at once in one DataError (exit code 65), one line per problem as
// "FILE:LINE:COL: error: KEY[.field]: what (got VALUE; expected WHAT)". An unreadable file is a
// DataError too. `info` becomes the table's info (source defaults to imported).
LatencyTable ImportProxylessYaml(const std::string& path, const TableInfo& info);
// Same for text already in memory; `display_name` stands for the file name in messages.
LatencyTable ParseProxylessYaml(const std::string& text, const std::string& display_name,
                                const TableInfo& info);

// The same format with count/mean/std (after a comment header with the table's device,
// fingerprint and space when it has a fingerprint), keys byte-wise sorted, numbers in their
// shortest exact form, so that an exported table imports to identical mean, std and count. Throws
// DataError naming the key when an entry cannot be written (count < 1, or a mean or std that is not
// a finite number >= 0).
std::string ProxylessYamlText(const LatencyTable& table);
// Writes ProxylessYamlText to `path` through a temporary file renamed into place; on any
// failure the previous file is untouched (IoError, exit code 74, or the DataError above before
// anything is written).
void ExportProxylessYaml(const LatencyTable& table, const std::string& path);

// Exported tables start with comment lines naming their device, fingerprint and space; this
// reads the fingerprint back (nullopt for files without one, e.g. the published tables).
std::optional<std::string> DeclaredFingerprint(const std::string& path);

}  // namespace hwnas::latency
