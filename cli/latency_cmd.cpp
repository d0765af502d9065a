// `hwnas latency build|import|list|show|diff`: device latency tables, measured here or imported
// from files measured on phones and accelerators, kept in the results store.
#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/latency_common.h"
#include "cli/output.h"
#include "core/errors.h"
#include "core/sha256.h"
#include "latency/builder.h"
#include "latency/estimator.h"
#include "latency/haq_table.h"
#include "latency/measure/devices.h"
#include "latency/npy.h"
#include "latency/op_key.h"
#include "results/export.h"

namespace hwnas::cli {
namespace {

using latency::LatencyTable;
using results::Store;

// Seed streams of the random networks a build calibrates on (validate uses another).

std::unique_ptr<Store> OpenExistingStore(const GlobalOptions& global) {
  return Store::Open(global.db_path, Store::OpenMode::kExisting);
}

// ---- build ------------------------------------------------------------------------------------

struct BuildArgs {
  std::string space;
  std::string device = "cpu";
  latency::MeasureOptions measure;
  int64_t rounds = 3;
  int64_t calibration_networks = 10;
  uint64_t seed = 1;
  std::string out;
  bool force = false;
};

void PrintBuildSummary(const LatencyTable& table, int64_t id, const latency::BuildReport& r) {
  std::printf("table %lld: %s / %s, %zu entries (%lld measured now, %lld reused) in %.1f s\n",
              static_cast<long long>(id), table.info().device.c_str(), table.info().space.c_str(),
              table.size(), static_cast<long long>(r.measured), static_cast<long long>(r.reused),
              r.seconds);
  if (r.measured > 0) std::printf("  largest coefficient of variation %.2f%%\n", 100 * r.max_cv);
  std::printf("  network scale %.4f (end-to-end latency / sum of layers)\n",
              latency::NetworkScale(table));
  for (const auto& key : r.unstable_keys)
    std::printf("  unstable (spread above the limit after retries): %s\n", key.c_str());
  std::printf("  fingerprint %s\n", table.info().fingerprint.c_str());
}

void RunBuild(const BuildArgs& args, const GlobalOptions& global) {
  const SearchSpace space = LoadSpace(args.space);
  auto store = Store::Open(global.db_path);
  DeviceTable target = OpenDeviceTable(*store, args.device, args.measure, space.name);
  if (!target.device)
    throw UsageError("device '" + args.device +
                     "' only has imported tables; 'latency build' needs a measurable device "
                     "(cpu, cuda) or a model device (configs/devices/)");
  if (args.force) target = {std::move(target.device), LatencyTable(target.table.info()), 0};
  if (args.force) target.table.mutable_info().store_id = 0;
  latency::BuildOptions options;
  options.seed = args.seed;
  options.rounds = args.rounds;
  options.show_progress = !global.quiet;
  const auto report =
      latency::FillTable(*target.device, AllCandidateLayers(space), target.table, options);
  CalibrateIfNeeded(target, space, args.calibration_networks, report.measured > 0, options);
  const int64_t id = SaveDeviceTable(*store, target);
  PrintBuildSummary(target.table, id, report);
  if (!args.out.empty()) {
    latency::ExportProxylessYaml(target.table, args.out);
    std::printf("  written to %s\n", args.out.c_str());
  }
}

void AddBuildCommand(CLI::App& parent, const GlobalOptions& global) {
  auto args = std::make_shared<BuildArgs>();
  auto* cmd = parent.add_subcommand(
      "build",
      "Measure every operator a search space can contain on a device and store the table.\n"
      "Entries already measured under the same device fingerprint are reused (--force\n"
      "re-measures); numbers measured under other conditions are never reused. Example:\n"
      "  hwnas latency build --space fmnist-mbconv --device cpu --threads 1 --out cpu.yaml");
  cmd->add_option("--space", args->space, "search space name (configs/spaces/) or file")
      ->required();
  cmd->add_option("--device", args->device, "cpu, cuda, or a model device (configs/devices/)")
      ->capture_default_str();
  AddMeasureOptions(*cmd, &args->measure);
  cmd->add_option("--rounds", args->rounds,
                  "interleaved measurements per entry; the fastest is kept")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  cmd->add_option("--calibration-networks", args->calibration_networks,
                  "random networks measured end to end to calibrate the network scale (0: none)")
      ->capture_default_str()
      ->check(CLI::Range(0, 10000));
  cmd->add_option("--seed", args->seed, "seed of the (shuffled) measurement order")
      ->capture_default_str();
  cmd->add_option("--out", args->out, "also write the table as ProxylessNAS-format YAML");
  cmd->add_flag("--force", args->force, "re-measure every entry instead of reusing stored ones");
  cmd->callback([args, &global] { RunBuild(*args, global); });
}

// ---- import -----------------------------------------------------------------------------------

struct ImportArgs {
  std::string file;
  std::string device;
  std::string format;
  std::string space;
  latency::MeasureOptions measure;  // the conditions a table for cpu or cuda must match
};

std::string DetectFormat(const std::string& file, const std::string& requested) {
  if (!requested.empty()) return requested;
  return std::filesystem::path(file).extension() == ".npy" ? "haq-npy" : "proxyless-yaml";
}

results::DeviceRecord TableDeviceRecord(const std::string& name, const std::string& file) {
  return {name, "table", "imported:" + Sha256FileHex(file),
          nlohmann::json{{"imported_from", std::filesystem::absolute(file).string()}}.dump()};
}

// HAQ cost tables are costs per (layer, weight bits, activation bits), not per op key; they are
// stored as entries "haq-layer:I-wbits:W-abits:A" in the cost unit of the file.
results::LatencyTableRecord HaqRecord(const latency::HaqCostTable& haq, const ImportArgs& args) {
  results::LatencyTableRecord record;
  record.device = TableDeviceRecord(args.device, args.file);
  record.space = args.space;
  record.source = results::LatencySource::kImported;
  record.properties_json = nlohmann::json{{"format", "haq-npy"}, {"layers", haq.layers}}.dump();
  for (int64_t layer = 0; layer < haq.layers; ++layer)
    for (int w = 1; w <= 8; ++w)
      for (int a = 1; a <= 8; ++a) {
        const double cost = static_cast<double>(haq.At(layer, w, a));
        record.entries.push_back(
            {latency::HaqLayerKey(layer, w, a), cost, cost, 0, cost, cost, 1, "cost", false});
      }
  return record;
}

// A table may stand for a built-in measurable device only when it was measured under exactly
// this machine's conditions (its exported header says so); model devices compute their costs.
// Returns the device's fingerprint then, or "" for an ordinary table device.
std::string CheckImportTarget(const ImportArgs& args) {
  const auto device = latency::MakeDevice({args.device, args.measure, ConfigsDir()});
  if (!device) return "";
  if (device->kind() != latency::DeviceKind::kMeasurable)
    throw UsageError("'" + args.device + "' is a model device; its costs are computed, not " +
                     "imported: give the table device another name");
  const auto declared = latency::DeclaredFingerprint(args.file);
  if (!declared)
    throw DataError(args.file + " does not say what it was measured under, so it cannot stand " +
                    "for this machine's '" + args.device + "' device (" + device->fingerprint() +
                    "); import it under another device name, e.g. --device phone");
  if (*declared != device->fingerprint())
    throw DataError(args.file + " was measured under '" + *declared + "', but this machine's '" +
                    args.device + "' device is '" + device->fingerprint() +
                    "' (processor, threads, batch, library or memory format differ); import it " +
                    "under another device name, e.g. --device " + args.device + "-other");
  return device->fingerprint();
}

// The file is read and validated completely before the store is opened, so a bad file leaves
// no trace. Its checksum becomes the table device's fingerprint.
results::LatencyTableRecord ReadTableFile(const ImportArgs& args, const std::string& format) {
  if (format == "haq-npy") return HaqRecord(latency::LoadHaqCostTable(args.file), args);
  latency::TableInfo info;
  info.device = args.device;
  info.space = args.space;
  info.properties_json = nlohmann::json{{"format", "proxyless-yaml"}}.dump();
  results::LatencyTableRecord record =
      latency::ToRecord(latency::ImportProxylessYaml(args.file, info));
  record.device = TableDeviceRecord(args.device, args.file);
  return record;
}

// The record as the built-in device's own table: same fingerprint, so build and estimate use it.
void AsMeasurableDevice(results::LatencyTableRecord& record, const ImportArgs& args,
                        const std::string& fingerprint) {
  const auto device = latency::MakeDevice({args.device, args.measure, ConfigsDir()});
  record.device = {args.device, latency::DeviceKindName(device->kind()), fingerprint,
                   device->properties_json()};
}

void RunImport(ImportArgs args, const GlobalOptions& global) {
  const std::string format = DetectFormat(args.file, args.format);
  if (args.space.empty()) args.space = std::filesystem::path(args.file).stem().string();
  results::LatencyTableRecord record = ReadTableFile(args, format);
  const std::string fingerprint = CheckImportTarget(args);
  if (!fingerprint.empty()) AsMeasurableDevice(record, args, fingerprint);
  auto store = Store::Open(global.db_path);  // only after the file is known to be valid
  const int64_t id = store->SaveLatencyTable(record);
  std::printf("imported %zu entries from %s as table %lld of device '%s' (%s)\n",
              record.entries.size(), args.file.c_str(), static_cast<long long>(id),
              args.device.c_str(), args.space.c_str());
}

void AddImportCommand(CLI::App& parent, const GlobalOptions& global) {
  auto args = std::make_shared<ImportArgs>();
  auto* cmd = parent.add_subcommand(
      "import",
      "Import a latency table measured elsewhere as a table device. Formats: proxyless-yaml\n"
      "(ProxylessNAS / Once-for-All lookup tables: key -> count, mean, var|std) and haq-npy\n"
      "(HAQ [layers, 8, 8] int64 cost table). The whole file is validated first; nothing is\n"
      "stored when any entry is bad. A table exported by 'latency build --out' may be imported\n"
      "as --device cpu (or cuda) only if its fingerprint matches this machine's (--threads,\n"
      "--batch as when it was measured). Example:\n"
      "  hwnas latency import ../shared/data/luts/proxylessnas-mobile-pixel1.yaml --device "
      "pixel1");
  cmd->add_option("file", args->file, "table file")->required();
  cmd->add_option("--device", args->device, "name of the device the table was measured on")
      ->required();
  cmd->add_option("--format", args->format, "proxyless-yaml or haq-npy (default: by extension)")
      ->check(CLI::IsMember({"proxyless-yaml", "haq-npy"}));
  cmd->add_option("--space", args->space, "name the keys belong to (default: the file name)");
  AddMeasureOptions(*cmd, &args->measure);
  cmd->callback([args, &global] { RunImport(*args, global); });
}

// ---- list / show / diff -----------------------------------------------------------------------

struct ListArgs {
  std::string device;
  OutputFormat format = OutputFormat::kTable;
};

void RunList(const ListArgs& args, const GlobalOptions& global) {
  auto store = OpenExistingStore(global);
  Table table{{"id", "device", "kind", "space", "source", "entries", "created", "fingerprint"}, {}};
  for (const auto& t : store->ListLatencyTables()) {
    if (!args.device.empty() && t.device.name != args.device) continue;
    table.rows.push_back({t.id, t.device.name, t.device.kind, t.space,
                          results::LatencySourceName(t.source), t.entry_count,
                          results::FormatTimestamp(t.created_at), t.device.fingerprint});
  }
  WriteTable(std::cout, table, args.format);
}

// A TABLE argument: a table id, or a device name (its newest table).
int64_t ResolveTable(const Store& store, const std::string& ref) {
  const auto tables = store.ListLatencyTables();
  int64_t newest = 0;
  for (const auto& t : tables) {
    if (std::to_string(t.id) == ref) return t.id;
    if (t.device.name == ref) newest = std::max(newest, t.id);
  }
  if (newest > 0) return newest;
  throw UsageError("unknown latency table '" + ref + "' (see 'hwnas latency list')");
}

struct ShowArgs {
  std::string table;
  std::string key;
  OutputFormat format = OutputFormat::kTable;
};

void RunShow(const ShowArgs& args, const GlobalOptions& global) {
  auto store = OpenExistingStore(global);
  const auto record = store->LoadLatencyTable(ResolveTable(*store, args.table));
  Table table{{"key", "mean", "median", "std", "cv", "p10", "p90", "count", "unit", "predicted"},
              {}};
  for (const auto& e : record.entries) {
    if (!args.key.empty() && e.op_key.find(args.key) == std::string::npos) continue;
    table.rows.push_back({e.op_key, e.mean, e.median, e.stddev,
                          e.mean > 0 ? Cell(e.stddev / e.mean) : Cell(), e.p10, e.p90, e.count,
                          e.unit, e.predicted ? "yes" : "no"});
  }
  if (args.format == OutputFormat::kTable)
    std::cout << "table " << record.id << ": " << record.device.name << " / " << record.space
              << " (" << results::LatencySourceName(record.source) << ", " << record.entries.size()
              << " entries)\n";
  WriteTable(std::cout, table, args.format);
}

struct DiffArgs {
  std::string a, b;
  OutputFormat format = OutputFormat::kTable;
};

void RunDiff(const DiffArgs& args, const GlobalOptions& global) {
  auto store = OpenExistingStore(global);
  const auto a = store->LoadLatencyTable(ResolveTable(*store, args.a));
  const auto b = store->LoadLatencyTable(ResolveTable(*store, args.b));
  std::map<std::string, std::pair<std::optional<double>, std::optional<double>>> rows;
  for (const auto& e : a.entries) rows[e.op_key].first = e.mean;
  for (const auto& e : b.entries) rows[e.op_key].second = e.mean;
  Table table{{"key", "a_mean", "b_mean", "b_over_a"}, {}};
  int64_t common = 0;
  for (const auto& [key, values] : rows) {
    const auto& [va, vb] = values;
    Cell ratio;
    if (va && vb && *va > 0) ratio = Cell(*vb / *va), ++common;
    table.rows.push_back({key, Cell(va), Cell(vb), ratio});
  }
  if (args.format == OutputFormat::kTable)
    std::cout << "a = table " << a.id << " (" << a.device.name << "), b = table " << b.id << " ("
              << b.device.name << "): " << common << " common keys, " << a.entries.size() - common
              << " only in a, " << b.entries.size() - common << " only in b\n";
  WriteTable(std::cout, table, args.format);
}

void AddReadCommands(CLI::App& parent, const GlobalOptions& global) {
  auto list = std::make_shared<ListArgs>();
  auto* list_cmd = parent.add_subcommand("list", "List the stored latency tables.");
  list_cmd->add_option("--device", list->device, "only tables of this device");
  AddFormatOption(*list_cmd, &list->format);
  list_cmd->callback([list, &global] { RunList(*list, global); });

  auto show = std::make_shared<ShowArgs>();
  auto* show_cmd = parent.add_subcommand(
      "show", "Show the entries of a table (a table id, or a device name for its newest).");
  show_cmd->add_option("table", show->table, "table id or device name")->required();
  show_cmd->add_option("--key", show->key, "only keys containing this text");
  AddFormatOption(*show_cmd, &show->format);
  show_cmd->callback([show, &global] { RunShow(*show, global); });

  auto diff = std::make_shared<DiffArgs>();
  auto* diff_cmd = parent.add_subcommand(
      "diff", "Compare two tables key by key: means side by side and their ratio.");
  diff_cmd->add_option("a", diff->a, "table id or device name")->required();
  diff_cmd->add_option("b", diff->b, "table id or device name")->required();
  AddFormatOption(*diff_cmd, &diff->format);
  diff_cmd->callback([diff, &global] { RunDiff(*diff, global); });
}

}  // namespace

void AddLatencyCommands(CLI::App& app, const GlobalOptions& global) {
  auto* latency = app.add_subcommand(
      "latency",
      "Device latency tables: measure a search space on this machine, import tables measured\n"
      "on phones and accelerators, inspect them, and estimate or validate network latency.");
  latency->require_subcommand(1);
  AddBuildCommand(*latency, global);
  AddImportCommand(*latency, global);
  AddReadCommands(*latency, global);
  AddLatencyEstimateCommands(*latency, global);
}

}  // namespace hwnas::cli
