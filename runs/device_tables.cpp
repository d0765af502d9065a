#include "runs/device_tables.h"

#include <algorithm>
#include <cstdlib>
#include <optional>

#include "core/config.h"
#include "core/errors.h"
#include "core/text.h"
#include "latency/estimator.h"
#include "measure/devices.h"

namespace hwnas::runs {
namespace {

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

latency::DeviceTable OpenDeviceTable(const results::Store& store, const std::string& device_name,
                                     const latency::MeasureOptions& measure,
                                     const std::string& space) {
  latency::DeviceTable result;
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

int64_t SaveDeviceTable(results::Store& store, latency::DeviceTable& device_table) {
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

bool CalibrateIfNeeded(latency::DeviceTable& target, const SearchSpace& space, int64_t networks,
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
latency::DeviceTable CompleteDeviceTable(results::Store& store, const SearchSpace& space,
                                         const Config& config, bool show_progress) {
  latency::DeviceTable target =
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

}  // namespace hwnas::runs
