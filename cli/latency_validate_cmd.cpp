// `hwnas latency validate`: table estimates against end-to-end measurements of random
// architectures (latency/validate.h), stored as a run so the numbers can be queried later.
#include "cli/latency_validate_cmd.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/engine_commands.h"
#include "cli/latency_common.h"
#include "core/errors.h"
#include "core/sha256.h"
#include "latency/builder.h"
#include "latency/validate.h"

namespace hwnas::cli {
namespace {

using results::Store;

struct ValidateArgs {
  std::string space;
  std::string device = "cpu";
  latency::ValidateOptions options;
  bool no_probe = false;
  latency::MeasureOptions measure;
};

std::string ValidationConfigText(const ValidateArgs& args, const DeviceTable& target) {
  return nlohmann::json{
      {"command", "latency validate"},   {"space", args.space},
      {"device", args.device},           {"fingerprint", target.table.info().fingerprint},
      {"samples", args.options.samples}, {"rounds", args.options.rounds},
      {"seed", args.options.seed},       {"probe", !args.no_probe},
      {"repeats", args.measure.repeats}}
      .dump(2);
}

// Stores the validation as a run, so `hwnas results show` lists its architectures later.
int64_t StoreValidation(Store& store, const ValidateArgs& args, const DeviceTable& target,
                        const latency::Validation& v) {
  results::RunInfo info;
  info.name = "validate-" + args.space + "-" + args.device;
  info.strategy = "latency-validate";
  info.config_text = ValidationConfigText(args, target);
  info.config_hash = Sha256Hex(info.config_text);
  info.device = args.device;
  info.seed = static_cast<int64_t>(args.options.seed);
  const int64_t run = store.BeginRun(info);
  latency::ReportValidation(v, *store.MakeReporter(run));
  store.FinishRun(run, results::RunStatus::kFinished);
  return run;
}

void PrintValidation(const latency::Validation& v, const DeviceTable& target,
                     const std::string& device, const std::string& space, int64_t run) {
  std::printf("validated table %lld (%s / %s) on %lld random architectures (run %lld)\n",
              static_cast<long long>(target.table.info().store_id), device.c_str(), space.c_str(),
              static_cast<long long>(v.plain.count), static_cast<long long>(run));
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

void RunValidate(ValidateArgs args, const GlobalOptions& global) {
  const SearchSpace space = LoadSpace(args.space);
  auto store = Store::Open(global.db_path);
  DeviceTable target = OpenDeviceTable(*store, args.device, args.measure, space.name);
  if (!target.device || target.device->kind() != latency::DeviceKind::kMeasurable)
    throw UsageError(
        "'latency validate' measures networks end to end: it needs a measurable "
        "device (cpu, cuda), not '" +
        args.device + "'");
  args.options.probe = !args.no_probe;
  args.options.show_progress = !global.quiet;
  latency::BuildOptions build{args.options.seed, args.options.rounds, !global.quiet};
  latency::FillTable(*target.device, AllCandidateLayers(space), target.table, build);
  SaveDeviceTable(*store, target);
  const latency::Validation v =
      latency::ValidateTable(*target.device, target.table, space, args.options);
  PrintValidation(v, target, args.device, space.name, StoreValidation(*store, args, target, v));
}

}  // namespace

void PrintAgreement(const char* label, const Agreement& a) {
  std::printf(
      "  %-26s MAPE %5.2f%%  max %6.2f%%  Kendall tau %.3f  within 5%%: %3.0f%%  "
      "within 10%%: %3.0f%%\n",
      label, 100 * a.mape, 100 * a.max_ape, a.kendall_tau, 100 * a.within_5, 100 * a.within_10);
}

void AddLatencyValidateCommand(CLI::App& parent, const GlobalOptions& global) {
  auto args = std::make_shared<ValidateArgs>();
  auto* cmd =
      parent.add_subcommand(kLatencyValidateCommand.name, kLatencyValidateCommand.description);
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
  cmd->add_flag("--no-probe", args->no_probe,
                "do not time the reference probe between networks (no re-basing, no stability "
                "figure; for comparing the two methods)");
  AddMeasureOptions(*cmd, &args->measure);
  cmd->callback([args, &global] { RunValidate(*args, global); });
}

}  // namespace hwnas::cli
