#include "runs/latency_tables.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/config.h"
#include "core/errors.h"
#include "core/sha256.h"
#include "latency/haq_table.h"
#include "latency/npy.h"
#include "latency/op_key.h"
#include "measure/devices.h"
#include "runs/device_tables.h"

namespace hwnas::runs {
namespace {

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
results::LatencyTableRecord HaqRecord(const latency::HaqCostTable& haq, const TableImport& args) {
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
std::string CheckImportTarget(const TableImport& args) {
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
results::LatencyTableRecord ReadTableFile(const TableImport& args, const std::string& format) {
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
void AsMeasurableDevice(results::LatencyTableRecord& record, const TableImport& args,
                        const std::string& fingerprint) {
  const auto device = latency::MakeDevice({args.device, args.measure, ConfigsDir()});
  record.device = {args.device, latency::DeviceKindName(device->kind()), fingerprint,
                   device->properties_json()};
}

}  // namespace

BuiltTable BuildTable(const TableBuild& args, const RunOptions& run_options) {
  const SearchSpace space = LoadSpace(args.space);
  StoreServices services(run_options);
  BuiltTable built;
  built.target = OpenDeviceTable(services.store(), args.device, args.measure, space.name);
  latency::DeviceTable& target = built.target;
  if (!target.device)
    throw UsageError("device '" + args.device +
                     "' only has imported tables; 'latency build' needs a measurable device "
                     "(cpu, cuda) or a model device (configs/devices/)");
  if (args.force)
    target = {std::move(target.device), latency::LatencyTable(target.table.info()), 0};
  if (args.force) target.table.mutable_info().store_id = 0;
  latency::BuildOptions options;
  options.seed = args.seed;
  options.rounds = args.rounds;
  options.show_progress = !run_options.quiet;
  built.report =
      latency::FillTable(*target.device, AllCandidateLayers(space), target.table, options);
  CalibrateIfNeeded(target, space, args.calibration_networks, built.report.measured > 0, options);
  built.id = SaveDeviceTable(services.store(), target);
  if (!args.out.empty()) latency::ExportProxylessYaml(target.table, args.out);
  return built;
}

ImportedTable ImportTable(TableImport args, const RunOptions& options) {
  const std::string format = DetectFormat(args.file, args.format);
  if (args.space.empty()) args.space = std::filesystem::path(args.file).stem().string();
  results::LatencyTableRecord record = ReadTableFile(args, format);
  const std::string fingerprint = CheckImportTarget(args);
  if (!fingerprint.empty()) AsMeasurableDevice(record, args, fingerprint);
  StoreServices services(options);  // the store is opened only after the file is known valid
  return {services.store().SaveLatencyTable(record), record.entries.size(), args.space};
}

}  // namespace hwnas::runs
