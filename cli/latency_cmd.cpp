// `hwnas latency build|import`: device latency tables, measured here or imported from files
// measured on phones and accelerators, kept in the results store. The read commands are in
// latency_read_cmd.cpp, shared with the torch-free front.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/engine_commands.h"
#include "cli/latency_common.h"
#include "core/errors.h"
#include "core/sha256.h"
#include "latency/builder.h"
#include "latency/estimator.h"
#include "latency/haq_table.h"
#include "latency/npy.h"
#include "latency/op_key.h"
#include "latency/probe.h"
#include "measure/devices.h"

namespace hwnas::cli {
namespace {

using latency::LatencyTable;
using results::Store;

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
  if (r.probe) std::printf("  %s\n", latency::StabilityText(*r.probe).c_str());
  if (const auto probe = latency::TableProbe(table))
    std::printf("  entries kept at the speed of probe %.3f ms (%s)\n", probe->median_ms,
                latency::kProbeName);
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
  auto* cmd = parent.add_subcommand(kLatencyBuildCommand.name, kLatencyBuildCommand.description);
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
  auto* cmd = parent.add_subcommand(kLatencyImportCommand.name, kLatencyImportCommand.description);
  cmd->add_option("file", args->file, "table file")->required();
  cmd->add_option("--device", args->device, "name of the device the table was measured on")
      ->required();
  cmd->add_option("--format", args->format, "proxyless-yaml or haq-npy (default: by extension)")
      ->check(CLI::IsMember({"proxyless-yaml", "haq-npy"}));
  cmd->add_option("--space", args->space, "name the keys belong to (default: the file name)");
  AddMeasureOptions(*cmd, &args->measure);
  cmd->callback([args, &global] { RunImport(*args, global); });
}

}  // namespace

void AddLatencyCommands(CLI::App& app, const GlobalOptions& global) {
  CLI::App* latency = AddLatencyGroup(app);
  AddBuildCommand(*latency, global);
  AddImportCommand(*latency, global);
  AddLatencyReadCommands(*latency, global);
  AddLatencyEstimateCommands(*latency, global);
}

}  // namespace hwnas::cli
