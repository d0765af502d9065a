// `hwnas latency estimate`: a network's latency from a device's table, layer by layer, and on
// a measurable device re-based to the machine's speed now or timed end to end. Registers the
// other commands on a device's table too (latency_validate_cmd.h).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <optional>

#include "cli/commands.h"
#include "cli/engine_commands.h"
#include "cli/latency_common.h"
#include "cli/latency_validate_cmd.h"
#include "cli/output.h"
#include "core/errors.h"
#include "core/netspec_yaml.h"
#include "latency/builder.h"
#include "latency/estimator.h"
#include "latency/haq_table.h"
#include "latency/op_predictor.h"
#include "latency/probe.h"

namespace hwnas::cli {
namespace {

using results::Store;

// ---- estimate ---------------------------------------------------------------------------------

struct EstimateArgs {
  std::string space;
  std::string arch;
  std::string netspec;
  std::string run;  // a stored run's network of role `role`
  std::string role = "final";
  std::string bits;  // a bit policy, one wWaA per quantizable operator
  std::string device = "cpu";
  latency::MeasureOptions measure;
  OutputFormat format = OutputFormat::kTable;
  bool measure_network = false;
  std::string predict_missing;  // a predictor kind: answer keys a table device lacks
};

// The newest network of `role` a run stored (e.g. a pruned one, to time it on a quiet machine).
NetSpec StoredNetwork(const Store& store, const std::string& reference, const std::string& role) {
  const int64_t id = store.ResolveRun(reference);
  std::optional<NetSpec> net;
  for (const results::StoredArchitecture& a : store.Architectures(id))
    if (a.record.role == role)
      net = NetSpecFromJson(a.record.netspec_json, "run " + std::to_string(id));
  if (!net)
    throw UsageError("run " + std::to_string(id) + " stored no network of role '" + role + "'");
  return *net;
}

NetSpec NetworkToEstimate(const EstimateArgs& args, const Store* store, std::string* space_name) {
  const int sources = !args.netspec.empty() + !args.run.empty() + !args.space.empty();
  if (sources > 1 || (!args.arch.empty() && args.space.empty()))
    throw UsageError("give one of --netspec FILE, --run RUN, or --space with --arch");
  if (!args.netspec.empty()) return LoadNetSpecFile(args.netspec);
  if (!args.run.empty()) return StoredNetwork(*store, args.run, args.role);
  if (args.space.empty() || args.arch.empty())
    throw UsageError("give --space and --arch (or --netspec FILE, or --run RUN)");
  const SearchSpace space = LoadSpace(args.space);
  *space_name = space.name;
  try {
    return ToNetSpec(space, ParseArch(space, args.arch));
  } catch (const DataError& e) {
    throw UsageError(std::string("--arch: ") + e.what());
  }
}

// What `latency estimate` prints: the table's estimate and, on a measurable device, the same
// re-based to the probe timed now and (with --measure-network) the network timed end to end.
struct EstimateReport {
  latency::Estimate estimate;
  std::optional<latency::Rebase> rebase;
  double measured_ms = 0;                      // > 0 with --measure-network
  std::optional<latency::ProbeSummary> probe;  // during the end-to-end timing
  double RebasedMs() const { return estimate.total_ms * (rebase ? rebase->factor() : 1.0); }
};

void PrintEstimateFooter(const EstimateReport& r) {
  const latency::Estimate& estimate = r.estimate;
  if (estimate.corrected_ms)
    std::printf("network correction: %.4f ms (fitted on end-to-end measurements)\n",
                *estimate.corrected_ms);
  if (r.rebase)
    std::printf("now on this machine: %.4f ms, %s\n", r.RebasedMs(),
                latency::RebaseText(*r.rebase).c_str());
  if (r.measured_ms > 0)
    std::printf("measured end to end: %.4f ms (the %sestimate is %+.1f%% off)\n", r.measured_ms,
                r.rebase ? "re-based " : "", 100.0 * (r.RebasedMs() / r.measured_ms - 1.0));
  if (r.probe) std::printf("%s\n", latency::StabilityText(*r.probe).c_str());
}

void PrintEstimate(const EstimateReport& r, const DeviceTable& target, OutputFormat format) {
  const latency::Estimate& estimate = r.estimate;
  Table table{{"layer", "key", "ms", "share", "source"}, {}};
  for (const auto& l : estimate.layers)
    table.rows.push_back(
        {l.layer, l.key, l.ms, l.ms / estimate.total_ms, latency::EntrySourceName(l.source)});
  if (format != OutputFormat::kTable) {
    if (r.rebase)
      table.rows.push_back({"(network, re-based)", "", r.RebasedMs(),
                            r.RebasedMs() / estimate.total_ms, "estimate x probe now / then"});
    if (r.measured_ms > 0)
      table.rows.push_back({"(network)", "", r.measured_ms, r.measured_ms / estimate.total_ms,
                            "measured end to end"});
    return WriteTable(std::cout, table, format);
  }
  WriteTable(std::cout, table, format);
  std::printf("total %.4f ms on %s (table %lld", estimate.total_ms,
              target.table.info().device.c_str(),
              static_cast<long long>(target.table.info().store_id));
  if (estimate.network_scale != 1.0)
    std::printf("; sum of layers %.4f ms x network scale %.4f", estimate.layers_sum_ms,
                estimate.network_scale);
  if (estimate.predicted_layers > 0)
    std::printf("; %lld layers predicted by the op latency model, not measured",
                static_cast<long long>(estimate.predicted_layers));
  else if (!estimate.added_keys.empty())
    std::printf("; %zu entries measured now and added", estimate.added_keys.size());
  std::printf(")\n");
  PrintEstimateFooter(r);
}

// A HAQ [layers, 8, 8] table costs a bit policy, not op keys: the policy's cost and its ratio to
// every operator at 8 bits (HAQ's reference).
void PrintHaqPolicyCost(const NetSpec& net, const DeviceTable& target) {
  const double cost = latency::HaqPolicyCost(target.table, net);
  const double reference = latency::HaqPolicyCost(
      target.table, ApplyBitPolicy(net, std::vector<OpBits>(QuantOpCount(net), OpBits{8, 8})));
  std::printf("%s on %s (HAQ table %lld, %zu operators)\n",
              FormatBitPolicy(BitPolicyOf(net)).c_str(), target.table.info().device.c_str(),
              static_cast<long long>(target.table.info().store_id), QuantOpCount(net));
  std::printf("cost %.6g = %.2f%% of all 8-bit (%.6g)\n", cost, 100 * cost / reference, reference);
}

NetSpec WithBits(const NetSpec& net, const std::string& policy, int max_bits) {
  if (policy.empty()) return net;
  try {
    return ApplyBitPolicy(net, ParseBitPolicy(policy, max_bits));
  } catch (const DataError& e) {
    throw UsageError(std::string("--bits: ") + e.what());
  }
}

void EstimateNetwork(const NetSpec& net, const EstimateArgs& args, Store& store,
                     DeviceTable& target) {
  if (args.measure_network &&
      (!target.device || target.device->kind() != latency::DeviceKind::kMeasurable))
    throw UsageError("--measure-network needs a measurable device (cpu, cuda; got '" + args.device +
                     "')");
  std::optional<latency::OpLatencyModel> op_model;
  if (!args.predict_missing.empty()) {
    if (target.device)
      throw UsageError("--predict-missing is for imported table devices; '" + args.device +
                       "' measures or computes what its table lacks");
    op_model = latency::OpLatencyModel::Fit(target.table, args.predict_missing);
  }
  latency::LatencyEstimator estimator(target.table, target.device.get(),
                                      op_model ? &*op_model : nullptr);
  EstimateReport report;
  report.estimate = estimator.Run(net);
  // Predictions are not measurements: they never go into the stored table.
  if (!report.estimate.added_keys.empty() && !op_model) SaveDeviceTable(store, target);
  if (target.device) report.rebase = latency::RebaseNow(*target.device, target.table);
  if (args.measure_network) {
    latency::BuildOptions options;
    options.show_progress = false;
    const latency::NetworkTimings timing =
        latency::MeasureNetworks(*target.device, {net}, options, "");
    report.measured_ms = timing.ms[0];
    report.probe = timing.probe;
    // Re-based to the probe around the timing itself rather than the one before it.
    if (report.rebase && !timing.probe_ms.empty()) report.rebase->now_probe_ms = timing.probe_ms[0];
  }
  PrintEstimate(report, target, args.format);
}

void RunEstimate(const EstimateArgs& args, const GlobalOptions& global) {
  std::string space_name;
  // Bad arguments leave no database behind: it is opened first only to read a stored network.
  std::unique_ptr<Store> store;
  if (!args.run.empty()) store = Store::Open(global.db_path, Store::OpenMode::kExisting);
  const NetSpec net = NetworkToEstimate(args, store.get(), &space_name);
  if (!store) store = Store::Open(global.db_path);
  DeviceTable target = OpenDeviceTable(*store, args.device, args.measure, space_name);
  const bool haq_table = !target.device && latency::HaqTableLayers(target.table) > 0;
  if (haq_table) {
    if (args.bits.empty())
      throw UsageError("device '" + args.device +
                       "' has a HAQ cost table, which costs bit policies: give --bits");
    return PrintHaqPolicyCost(WithBits(net, args.bits, 8), target);
  }
  EstimateNetwork(WithBits(net, args.bits, 32), args, *store, target);
}

void AddEstimateCommand(CLI::App& parent, const GlobalOptions& global) {
  auto args = std::make_shared<EstimateArgs>();
  auto* cmd =
      parent.add_subcommand(kLatencyEstimateCommand.name, kLatencyEstimateCommand.description);
  cmd->add_option("--space", args->space, "search space name or file (with --arch)");
  cmd->add_option("--arch", args->arch, "one op per searchable block, e.g. \"k3e6 skip k5e3\"");
  cmd->add_option("--netspec", args->netspec, "a NetSpec YAML file instead of --space/--arch");
  cmd->add_option("--run", args->run,
                  "a network a run stored (id or name), e.g. an AMC-pruned one");
  cmd->add_option("--bits", args->bits,
                  "a bit policy: one wWaA per quantizable operator in forward order, e.g. \"w8a8 "
                  "w4a6 ...\" (needed for a HAQ cost table)");
  cmd->add_option("--role", args->role, "with --run: which of its networks (final, baseline, ...)")
      ->capture_default_str();
  cmd->add_option("--device", args->device, "device name")->capture_default_str();
  cmd->add_flag("--measure-network", args->measure_network,
                "also time the whole network end to end on the (measurable) device and print "
                "it next to the estimate");
  cmd->add_option("--predict-missing", args->predict_missing,
                  "on an imported table device, predict the keys its table lacks with an op "
                  "latency model fitted on its entries (ridge, gbt or ridge+gbt); such layers "
                  "show source 'predicted'")
      ->check(CLI::IsMember({"ridge", "gbt", "ridge+gbt"}));
  AddMeasureOptions(*cmd, &args->measure);
  AddFormatOption(*cmd, &args->format);
  cmd->callback([args, &global] { RunEstimate(*args, global); });
}

}  // namespace

void AddLatencyEstimateCommands(CLI::App& latency, const GlobalOptions& global) {
  AddEstimateCommand(latency, global);
  AddLatencyValidateCommand(latency, global);
  AddLatencyModelCommands(latency, global);
}

}  // namespace hwnas::cli
