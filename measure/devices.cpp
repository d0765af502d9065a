#include "measure/devices.h"

#include <algorithm>
#include <filesystem>

#include "latency/model_device.h"

namespace hwnas::latency {
namespace fs = std::filesystem;

std::vector<std::string> KnownDeviceNames(const std::string& configs_dir) {
  std::vector<std::string> names = {"cpu", "cuda"};
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(fs::path(configs_dir) / "devices", error)) {
    if (entry.path().extension() == ".yaml") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin() + 2, names.end());
  return names;
}

std::unique_ptr<Device> MakeDevice(const DeviceRequest& request) {
  if (request.name == "cpu") return MakeTorchDevice(TorchBackend::kCpu, request.measure);
  if (request.name == "cuda") return MakeTorchDevice(TorchBackend::kCuda, request.measure);
  const fs::path file = fs::path(request.configs_dir) / "devices" / (request.name + ".yaml");
  if (fs::is_regular_file(file)) return LoadModelDevice(file.string());
  if (request.name.size() > 5 && request.name.substr(request.name.size() - 5) == ".yaml" &&
      fs::is_regular_file(request.name))
    return LoadModelDevice(request.name);
  return nullptr;
}

}  // namespace hwnas::latency
