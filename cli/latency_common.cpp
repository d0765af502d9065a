#include "cli/latency_common.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdlib>
#include <optional>

#include "core/errors.h"
#include "core/rng.h"
#include "latency/estimator.h"
#include "measure/devices.h"

namespace hwnas::cli {
namespace {

std::string Join(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& n : names) text += (text.empty() ? "" : ", ") + n;
  return text;
}

// Newest imported table of a table device, preferring one of `space` when there is one.
std::optional<int64_t> FindImportedTable(const results::Store& store, const std::string& device,
                                         const std::string& space) {
  std::optional<int64_t> newest, newest_of_space;
  for (const auto& t : store.ListLatencyTables()) {
    if (t.device.name != device) continue;
    if (!newest || t.id > *newest) newest = t.id;
    if (t.space == space && (!newest_of_space || t.id > *newest_of_space)) newest_of_space = t.id;
  }
  return newest_of_space ? newest_of_space : newest;
}

[[noreturn]] void ThrowUnknownDevice(const results::Store& store, const std::string& name) {
  std::vector<std::string> imported;
  for (const auto& t : store.ListLatencyTables())
    if (t.device.kind == "table" &&
        std::find(imported.begin(), imported.end(), t.device.name) == imported.end())
      imported.push_back(t.device.name);
  std::string message =
      "unknown device '" + name + "' (known: " + Join(latency::KnownDeviceNames(ConfigsDir()));
  if (!imported.empty()) message += "; imported table devices: " + Join(imported);
  throw UsageError(message + "; import a table with 'hwnas latency import FILE --device NAME')");
}

}  // namespace

std::string ConfigsDir() {
  const char* env = std::getenv("HWNAS_CONFIGS");
  return env != nullptr && *env != '\0' ? env : HWNAS_CONFIGS_DIR;
}

SearchSpace LoadSpace(const std::string& name_or_path) {
  return LoadSearchSpaceFile(ResolveSpacePath(name_or_path, ConfigsDir()));
}

void AddMeasureOptions(CLI::App& command, latency::MeasureOptions* options) {
  command.add_option("--threads", options->threads, "intra-op threads while timing")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  command.add_option("--batch", options->batch, "images per timed forward pass")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  command.add_option("--repeats", options->repeats, "timed samples per operator")
      ->capture_default_str()
      ->check(CLI::Range(3, 100000));
}

DeviceTable OpenDeviceTable(const results::Store& store, const std::string& device_name,
                            const latency::MeasureOptions& measure, const std::string& space) {
  DeviceTable result;
  result.device = latency::MakeDevice({device_name, measure, ConfigsDir()});
  if (!result.device) {
    const auto id = FindImportedTable(store, device_name, space);
    if (!id) ThrowUnknownDevice(store, device_name);
    result.table = latency::FromRecord(store.LoadLatencyTable(*id));
  } else if (auto id = store.FindLatencyTable(device_name, result.device->fingerprint(), space)) {
    result.table = latency::FromRecord(store.LoadLatencyTable(*id));
  } else {
    latency::TableInfo info;
    info.device = device_name;
    info.device_kind = latency::DeviceKindName(result.device->kind());
    info.fingerprint = result.device->fingerprint();
    info.device_properties_json = result.device->properties_json();
    info.space = space;
    info.source = results::LatencySource::kMeasured;
    result.table = latency::LatencyTable(info);
  }
  result.stored_entries = result.table.size();
  return result;
}

std::vector<Arch> RandomArchs(const SearchSpace& space, int64_t count, uint64_t seed,
                              uint64_t purpose) {
  Rng rng(DeriveSeed(seed, rng_stream::kMeasureOrder, purpose));
  std::vector<Arch> archs;
  for (int64_t i = 0; i < count; ++i) archs.push_back(RandomArch(space, rng));
  return archs;
}

std::vector<NetSpec> ToNetSpecs(const SearchSpace& space, const std::vector<Arch>& archs) {
  std::vector<NetSpec> nets;
  for (const Arch& arch : archs) nets.push_back(ToNetSpec(space, arch));
  return nets;
}

int64_t SaveDeviceTable(results::Store& store, DeviceTable& device_table) {
  latency::LatencyTable& table = device_table.table;
  if (table.info().store_id == 0) {
    table.mutable_info().store_id = store.SaveLatencyTable(latency::ToRecord(table));
    device_table.stored_entries = table.size();
    return table.info().store_id;
  }
  if (table.size() > device_table.stored_entries) {
    const int64_t id = table.info().store_id;
    const results::LatencyTableRecord stored = store.LoadLatencyTable(id);
    std::vector<LatencyEntry> added;
    for (const auto& [key, entry] : table.entries()) {
      const bool known = std::any_of(stored.entries.begin(), stored.entries.end(),
                                     [&](const auto& e) { return e.op_key == key; });
      if (!known) added.push_back(entry);
    }
    store.AddLatencyEntries(id, added);
  }
  if (table.info().store_id != 0)
    store.SetLatencyTableProperties(table.info().store_id, table.info().properties_json);
  device_table.stored_entries = table.size();
  return table.info().store_id;
}

bool CalibrateIfNeeded(DeviceTable& target, const SearchSpace& space, int64_t networks,
                       bool table_changed, const latency::BuildOptions& options) {
  constexpr uint64_t kCalibrationStream = 1000;  // RandomArchs stream of calibration networks
  if (target.device->kind() != latency::DeviceKind::kMeasurable || networks <= 0) return false;
  if (!table_changed && latency::NetworkScale(target.table) != 1.0) return false;
  const auto nets =
      ToNetSpecs(space, RandomArchs(space, networks, options.seed, kCalibrationStream));
  latency::SetNetworkScale(
      target.table, latency::CalibrateNetworkScale(*target.device, nets, target.table, options),
      networks);
  return true;
}

constexpr int64_t kCalibrationNetworks = 10;  // as `hwnas latency build` by default

// The device's table for the space, completed by measuring (or computing) what it lacks where
// the device allows; a table-only device must already hold every entry.
DeviceTable CompleteDeviceTable(results::Store& store, const SearchSpace& space,
                                const Config& config, bool show_progress) {
  DeviceTable target =
      OpenDeviceTable(store, config.device.name, latency::MeasureOptionsOf(config), space.name);
  if (!target.device) return target;
  latency::BuildOptions options;
  options.seed = config.seed;
  options.show_progress = show_progress;
  const auto report =
      latency::FillTable(*target.device, AllCandidateLayers(space), target.table, options);
  // The same calibration as `hwnas latency build`, so estimates match end-to-end measurements.
  const bool calibrated =
      CalibrateIfNeeded(target, space, kCalibrationNetworks, report.measured > 0, options);
  if (report.measured > 0 || calibrated) SaveDeviceTable(store, target);
  return target;
}

}  // namespace hwnas::cli
