#include "runs/latency_validation.h"

#include <nlohmann/json.hpp>

#include "core/config.h"
#include "core/errors.h"
#include "core/sha256.h"
#include "latency/builder.h"
#include "runs/device_tables.h"
#include "runs/lifecycle.h"

namespace hwnas::runs {
namespace {

// The run's record: what was validated, under which conditions, so `hwnas results show` and a
// later `latency correct` know.
results::RunInfo ValidationRunInfo(const ValidationRequest& r, const latency::DeviceTable& target) {
  results::RunInfo info;
  info.name = "validate-" + r.space + "-" + r.device;
  info.strategy = "latency-validate";
  info.config_text = nlohmann::json{{"command", "latency validate"},
                                    {"space", r.space},
                                    {"device", r.device},
                                    {"fingerprint", target.table.info().fingerprint},
                                    {"samples", r.options.samples},
                                    {"rounds", r.options.rounds},
                                    {"seed", r.options.seed},
                                    {"probe", r.probe},
                                    {"repeats", r.measure.repeats}}
                         .dump(2);
  info.config_hash = Sha256Hex(info.config_text);
  info.device = r.device;
  info.seed = static_cast<int64_t>(r.options.seed);
  return info;
}

}  // namespace

ValidationReport ValidateLatency(ValidationRequest request, const RunOptions& options) {
  const SearchSpace space = LoadSpace(request.space);
  StoreServices services(options);
  latency::DeviceTable target =
      OpenDeviceTable(services.store(), request.device, request.measure, space.name);
  if (!target.device || target.device->kind() != latency::DeviceKind::kMeasurable)
    throw UsageError(
        "'latency validate' measures networks end to end: it needs a measurable "
        "device (cpu, cuda), not '" +
        request.device + "'");
  request.options.probe = request.probe;
  request.options.show_progress = !options.quiet;
  const latency::BuildOptions build{request.options.seed, request.options.rounds, !options.quiet};
  latency::FillTable(*target.device, AllCandidateLayers(space), target.table, build);
  SaveDeviceTable(services.store(), target);
  ValidationReport report;
  report.validation = latency::ValidateTable(*target.device, target.table, space, request.options);
  report.table_id = target.table.info().store_id;
  report.space = space.name;
  // Stored only once every network is measured, so a failed validation leaves no run.
  report.run_id = services.store().BeginRun(ValidationRunInfo(request, target));
  RunBody body;
  body.run = [&report](search::RunContext& context) {
    latency::ReportValidation(report.validation, *context.reporter);
    return std::string();
  };
  ExecuteRun(services, report.run_id, body, /*stop_requested=*/nullptr, /*resume=*/false);
  return report;
}

}  // namespace hwnas::runs
