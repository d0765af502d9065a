// `hwnas latency build|import`: device latency tables, measured here or imported from files
// measured on phones and accelerators, kept in the results store. The read commands are in
// latency_read_cmd.cpp, shared with the torch-free front.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/commands.h"
#include "cli/engine_commands.h"
#include "cli/latency_common.h"
#include "latency/estimator.h"
#include "latency/probe.h"
#include "runs/latency_tables.h"

namespace hwnas::cli {
namespace {

using latency::LatencyTable;

// ---- build ------------------------------------------------------------------------------------

void PrintBuildSummary(const LatencyTable& table, int64_t id, const latency::BuildReport& r) {
  std::printf("table %lld: %s / %s, %zu entries (%lld measured now, %lld reused) in %.1f s\n",
              static_cast<long long>(id), table.info().device.c_str(), table.info().space.c_str(),
              table.size(), static_cast<long long>(r.measured), static_cast<long long>(r.reused),
              r.seconds);
  if (r.measured > 0) std::printf("  largest coefficient of variation %.2f%%\n", 100 * r.max_cv);
  if (r.probe) std::printf("  %s\n", latency::StabilityText(*r.probe).c_str());
  if (const auto probe = latency::TableProbe(table))
    std::printf("  entries kept at the speed of probe %.3f ms (%s)\n", probe->median_ms,
                latency::kProbeName);
  std::printf("  network scale %.4f (end-to-end latency / sum of layers)\n",
              latency::NetworkScale(table));
  for (const auto& key : r.unstable_keys)
    std::printf("  unstable (spread above the limit after retries): %s\n", key.c_str());
  std::printf("  fingerprint %s\n", table.info().fingerprint.c_str());
}

void RunBuild(const runs::TableBuild& args, const GlobalOptions& global) {
  const runs::BuiltTable built = runs::BuildTable(args, {global.db_path, global.quiet});
  PrintBuildSummary(built.target.table, built.id, built.report);
  if (!args.out.empty()) std::printf("  written to %s\n", args.out.c_str());
}

void AddBuildCommand(CLI::App& parent, const GlobalOptions& global) {
  auto args = std::make_shared<runs::TableBuild>();
  auto* cmd = parent.add_subcommand(kLatencyBuildCommand.name, kLatencyBuildCommand.description);
  cmd->add_option("--space", args->space, "search space name (configs/spaces/) or file")
      ->required();
  cmd->add_option("--device", args->device, "cpu, cuda, or a model device (configs/devices/)")
      ->capture_default_str();
  AddMeasureOptions(*cmd, &args->measure);
  cmd->add_option("--rounds", args->rounds,
                  "interleaved measurements per entry; the fastest is kept")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  cmd->add_option("--calibration-networks", args->calibration_networks,
                  "random networks measured end to end to calibrate the network scale (0: none)")
      ->capture_default_str()
      ->check(CLI::Range(0, 10000));
  cmd->add_option("--seed", args->seed, "seed of the (shuffled) measurement order")
      ->capture_default_str();
  cmd->add_option("--out", args->out, "also write the table as ProxylessNAS-format YAML");
  cmd->add_flag("--force", args->force, "re-measure every entry instead of reusing stored ones");
  cmd->callback([args, &global] { RunBuild(*args, global); });
}

// ---- import -----------------------------------------------------------------------------------

void RunImport(const runs::TableImport& args, const GlobalOptions& global) {
  const runs::ImportedTable imported = runs::ImportTable(args, {global.db_path, global.quiet});
  std::printf("imported %zu entries from %s as table %lld of device '%s' (%s)\n", imported.entries,
              args.file.c_str(), static_cast<long long>(imported.id), args.device.c_str(),
              imported.space.c_str());
}

void AddImportCommand(CLI::App& parent, const GlobalOptions& global) {
  auto args = std::make_shared<runs::TableImport>();
  auto* cmd = parent.add_subcommand(kLatencyImportCommand.name, kLatencyImportCommand.description);
  cmd->add_option("file", args->file, "table file")->required();
  cmd->add_option("--device", args->device, "name of the device the table was measured on")
      ->required();
  cmd->add_option("--format", args->format, "proxyless-yaml or haq-npy (default: by extension)")
      ->check(CLI::IsMember({"proxyless-yaml", "haq-npy"}));
  cmd->add_option("--space", args->space, "name the keys belong to (default: the file name)");
  AddMeasureOptions(*cmd, &args->measure);
  cmd->callback([args, &global] { RunImport(*args, global); });
}

}  // namespace

void AddLatencyCommands(CLI::App& app, const GlobalOptions& global) {
  CLI::App* latency = AddLatencyGroup(app);
  AddBuildCommand(*latency, global);
  AddImportCommand(*latency, global);
  AddLatencyReadCommands(*latency, global);
  AddLatencyEstimateCommands(*latency, global);
}

}  // namespace hwnas::cli
