// `hwnas latency validate` as a library: random architectures of a space, drawn from the seed's
// validation stream, estimated from a latency table and timed end to end on a device, and how
// well the estimates agree with the timings (core/metrics.h), reported through a Reporter as a
// run's architectures and metrics. Opening the device, its table and the run is the caller's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/metrics.h"
#include "core/reporter.h"
#include "core/search_space.h"
#include "latency/device.h"
#include "latency/estimator.h"
#include "latency/probe.h"
#include "latency/table.h"

namespace hwnas::latency {

struct ValidateOptions {
  int64_t samples = 50;  // random architectures
  int64_t rounds = 3;    // interleaved timings per network; the fastest is kept
  uint64_t seed = 1;     // the architectures and the order they are timed in
  bool probe = true;     // pair every timing with a probe sample (re-basing, stability)
  bool show_progress = true;
};

struct ValidationSample {
  std::string arch;
  NetSpec net;
  Estimate estimate;
  double measured_ms = 0;
  // The estimate re-based to the probe timed around this network's measurement (probe.h); 0
  // when the table or the device has no probe.
  double rebased_ms = 0;
};

struct Validation {
  std::string device;  // its name
  std::vector<ValidationSample> samples;
  std::optional<ProbeSummary> table_probe;  // the table's build
  std::optional<ProbeSummary> probe;        // during this validation
  double network_scale = 1;                 // the table's
  Agreement plain;                          // the plain sum of layer entries
  Agreement corrected;                      // the sum times the calibrated network scale
  std::optional<Agreement> network;         // the table's network correction, if it has one
  std::optional<Agreement> rebased;         // corrected, re-based by the probe, if probed
};

// Estimates options.samples random architectures of `space` from `table` (the device answers
// keys it lacks, which are added to it), times them on `device` and compares. The same seed
// draws the same architectures on every device.
Validation ValidateTable(Device& device, LatencyTable& table, const SearchSpace& space,
                         const ValidateOptions& options);

// Every sample as an architecture of role "validation" (step: its index) with its estimate (the
// re-based one where probed) and its timing, then at step 0 the metrics: the agreement of the
// calibrated estimate (mape_percent, max_error_percent, kendall_tau, within_5_percent,
// within_10_percent), the same prefixed plain_, network_correction_ and rebased_, the probe's
// figures and network_scale.
void ReportValidation(const Validation& validation, Reporter& reporter);

}  // namespace hwnas::latency
