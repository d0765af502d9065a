// `hwnas latency validate` as a library call: the device's table for a space completed by
// measuring what it lacks, compared with random architectures measured end to end
// (latency/validate.h), and stored as a run (strategy "latency-validate") through the lifecycle.
#pragma once

#include <cstdint>
#include <string>

#include "latency/validate.h"
#include "measure/torch_device.h"
#include "runs/store_services.h"

namespace hwnas::runs {

struct ValidationRequest {
  std::string space;  // name or YAML file
  std::string device = "cpu";
  latency::ValidateOptions options;  // probe and show_progress are set from the request
  bool probe = true;
  latency::MeasureOptions measure;
};

struct ValidationReport {
  latency::Validation validation;
  int64_t table_id = 0;
  int64_t run_id = 0;
  std::string space;  // the space's name
};

// UsageError for a device that cannot be measured end to end.
ValidationReport ValidateLatency(ValidationRequest request, const RunOptions& options);

}  // namespace hwnas::runs
