// LatencyEntry: the one type for a stored latency, one op key's statistics in one unit, as a
// latency table (latency/table.h) holds it and the results store keeps it (one row of
// latency_entries). Torch-free, so that latency/ and results/ share it without depending on each
// other; a fresh measurement (latency::LatencyStats) is an entry plus what is never stored.
#pragma once

#include <cstdint>
#include <string>

namespace hwnas {

struct LatencyEntry {
  std::string op_key;  // set when the entry joins a table; empty for a bare measurement
  double mean = 0;
  double median = 0;
  double stddev = 0;  // sample standard deviation
  double p10 = 0;
  double p90 = 0;
  int64_t count = 0;  // repetitions behind the statistics (for model devices: 1)
  std::string unit = "ms";
  bool predicted = false;  // estimated by a predictor rather than measured

  double cv() const { return mean > 0 ? stddev / mean : 0; }  // coefficient of variation
};

}  // namespace hwnas
