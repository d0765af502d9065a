#include "latency/device.h"

namespace hwnas::latency {

const char* DeviceKindName(DeviceKind kind) {
  switch (kind) {
    case DeviceKind::kMeasurable:
      return "measurable";
    case DeviceKind::kTable:
      return "table";
    case DeviceKind::kModel:
      return "model";
  }
  return "?";
}

}  // namespace hwnas::latency
