// Small helpers shared by the store's .cpp files: the clock, how non-finite metric values are
// encoded, and the reporter factory. Private to results/.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/reporter.h"
#include "results/sqlite.h"

namespace hwnas::results {

// Seconds since the Unix epoch, with sub-second precision.
double NowSeconds();

std::string HostName();

// metrics.value_type: "finite", "nan", "inf" or "-inf" (value is NULL unless finite).
const char* MetricValueType(double value);
double MetricValueFromColumns(std::optional<double> value, const std::string& value_type);

// Throws UsageError "unknown run ..." unless the run exists.
void RequireRun(Database& db, int64_t run_id);

// The Reporter of one run; every call is one transaction that also updates the heartbeat.
std::unique_ptr<Reporter> MakeRunRecorder(Database& db, int64_t run_id);

}  // namespace hwnas::results
