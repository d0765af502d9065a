// `hwnas latency validate`: table estimates against end-to-end measurements of random
// architectures (latency/validate.h), stored as a run so the numbers can be queried later.
#include "cli/latency_validate_cmd.h"

#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/commands.h"
#include "cli/engine_commands.h"
#include "cli/latency_common.h"
#include "core/errors.h"
#include "runs/latency_validation.h"

namespace hwnas::cli {
namespace {

void PrintValidation(const runs::ValidationReport& report, const std::string& device) {
  const latency::Validation& v = report.validation;
  std::printf("validated table %lld (%s / %s) on %lld random architectures (run %lld)\n",
              static_cast<long long>(report.table_id), device.c_str(), report.space.c_str(),
              static_cast<long long>(v.plain.count), static_cast<long long>(report.run_id));
  PrintAgreement("plain sum of layers", v.plain);
  char label[64];
  std::snprintf(label, sizeof label, "x network scale %.4f", v.network_scale);
  PrintAgreement(label, v.corrected);
  if (v.network) PrintAgreement("network correction", *v.network);
  if (v.rebased) PrintAgreement("x scale, re-based by probe", *v.rebased);
  if (v.probe && v.table_probe)
    std::printf("  probe %.3f ms now (median), %.3f ms when the table was measured (x%.3f)\n",
                v.probe->median_ms, v.table_probe->median_ms,
                v.probe->median_ms / v.table_probe->median_ms);
  else if (v.probe)
    std::printf("  the table has no probe (measured before hwnas timed one): not re-based\n");
  if (v.probe) std::printf("  %s\n", latency::StabilityText(*v.probe).c_str());
}

}  // namespace

void PrintAgreement(const char* label, const Agreement& a) {
  std::printf(
      "  %-26s MAPE %5.2f%%  max %6.2f%%  Kendall tau %.3f  within 5%%: %3.0f%%  "
      "within 10%%: %3.0f%%\n",
      label, 100 * a.mape, 100 * a.max_ape, a.kendall_tau, 100 * a.within_5, 100 * a.within_10);
}

void AddLatencyValidateCommand(CLI::App& parent, const GlobalOptions& global) {
  auto args = std::make_shared<runs::ValidationRequest>();
  auto* cmd =
      parent.add_subcommand(kLatencyValidateCommand.name, kLatencyValidateCommand.description);
  auto no_probe = std::make_shared<bool>(false);
  cmd->add_option("--space", args->space, "search space name or file")->required();
  cmd->add_option("--device", args->device, "a measurable device")->capture_default_str();
  cmd->add_option("--samples", args->options.samples, "random architectures to measure")
      ->capture_default_str()
      ->check(CLI::Range(2, 100000));
  cmd->add_option("--rounds", args->options.rounds,
                  "interleaved measurements per network and entry; the fastest is kept")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  cmd->add_option("--seed", args->options.seed, "seed of the sampled architectures")
      ->capture_default_str();
  cmd->add_flag("--no-probe", *no_probe,
                "do not time the reference probe between networks (no re-basing, no stability "
                "figure; for comparing the two methods)");
  AddMeasureOptions(*cmd, &args->measure);
  cmd->callback([args, no_probe, &global] {
    args->probe = !*no_probe;
    PrintValidation(runs::ValidateLatency(*args, {global.db_path, global.quiet}), args->device);
  });
}

}  // namespace hwnas::cli
