// `hwnas latency estimate` (a network's latency from a device's table, layer by layer) and
// `hwnas latency validate` (table estimates against end-to-end measurements of random
// architectures, stored as a run so the numbers can be queried later).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/commands.h"
#include "cli/engine_commands.h"
#include "cli/latency_common.h"
#include "cli/output.h"
#include "core/errors.h"
#include "core/netspec_yaml.h"
#include "core/progress.h"
#include "core/rng.h"
#include "core/sha256.h"
#include "latency/builder.h"
#include "latency/estimator.h"
#include "latency/haq_table.h"
#include "latency/network_correction.h"
#include "latency/op_predictor.h"
#include "latency/probe.h"
#include "latency/stats.h"

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

// ---- predictor --------------------------------------------------------------------------------

struct OpModelArgs {
  std::string device;
  std::string space;
  std::vector<std::string> models = {"ridge", "gbt", "ridge+gbt"};
  int64_t folds = 5;
  OutputFormat format = OutputFormat::kTable;
};

// How well an op latency model fitted on a device's table predicts entries it did not see.
void RunOpModelCheck(const OpModelArgs& args, const GlobalOptions& global) {
  auto store = Store::Open(global.db_path, Store::OpenMode::kExisting);
  DeviceTable target = OpenDeviceTable(*store, args.device, {}, args.space);
  if (target.table.empty())
    throw UsageError("device '" + args.device + "' has no table entries to fit on" +
                     (args.space.empty() ? "" : " for space '" + args.space + "'"));
  Table table{{"model", "entries", "folds", "kendall_tau", "within_10pct", "mape"}, {}};
  for (const std::string& model : args.models) {
    const auto e = latency::OpLatencyModel::CrossValidate(target.table, model, args.folds);
    table.rows.push_back(
        {model, static_cast<int64_t>(e.count), args.folds, e.kendall_tau, e.within_10, e.mape});
  }
  if (args.format == OutputFormat::kTable)
    std::printf("op latency model of %s (table %lld, %s): %lld-fold cross-validation\n",
                args.device.c_str(), static_cast<long long>(target.table.info().store_id),
                target.table.info().space.c_str(), static_cast<long long>(args.folds));
  WriteTable(std::cout, table, args.format);
}

void AddOpModelCommand(CLI::App& parent, const GlobalOptions& global) {
  auto args = std::make_shared<OpModelArgs>();
  auto* cmd =
      parent.add_subcommand(kLatencyPredictorCommand.name, kLatencyPredictorCommand.description);
  cmd->add_option("--device", args->device, "device name")->required();
  cmd->add_option("--space", args->space, "which of its tables (default: the newest)");
  cmd->add_option("--model", args->models, "ridge, gbt, ridge+gbt (default: all three)")
      ->delimiter(',')
      ->check(CLI::IsMember({"ridge", "gbt", "ridge+gbt"}));
  cmd->add_option("--folds", args->folds, "cross-validation folds")
      ->capture_default_str()
      ->check(CLI::Range(2, 1000));
  AddFormatOption(*cmd, &args->format);
  cmd->callback([args, &global] { RunOpModelCheck(*args, global); });
}

// ---- correct ----------------------------------------------------------------------------------

void PrintAgreement(const char* label, const latency::Agreement& a);  // below, with validate

struct CorrectArgs {
  std::string space;
  std::string device = "cpu";
  std::vector<int64_t> runs;
  int64_t test_run = 0;
  std::string model = "ridge";
};

// The networks a `latency validate` run measured, with their measured latency.
void ValidatedNetworks(const Store& store, int64_t run, const CorrectArgs& args,
                       std::vector<NetSpec>* nets, std::vector<double>* measured) {
  const results::RunRecord r = store.GetRun(run);
  const std::string name = "run " + std::to_string(run);
  if (r.strategy != "latency-validate")
    throw UsageError(name + " is a " + r.strategy +
                     " run; the correction learns from 'hwnas latency validate' runs");
  const auto config = nlohmann::json::parse(r.config_text, nullptr, false);
  const std::string space = config.is_object() ? config.value("space", "") : "";
  if (r.device != args.device || LoadSpace(space).name != LoadSpace(args.space).name)
    throw UsageError(name + " validated " + space + " on " + r.device + ", not " + args.space +
                     " on " + args.device);
  for (const results::StoredArchitecture& a : store.Architectures(run))
    if (a.record.role == "validation" && a.record.measured_latency_ms) {
      nets->push_back(NetSpecFromJson(a.record.netspec_json, name));
      measured->push_back(*a.record.measured_latency_ms);
    }
}

void RunCorrect(const CorrectArgs& args, const GlobalOptions& global) {
  auto store = Store::Open(global.db_path, Store::OpenMode::kExisting);
  const SearchSpace space = LoadSpace(args.space);
  DeviceTable target = OpenDeviceTable(*store, args.device, {}, space.name);
  std::vector<NetSpec> nets;
  std::vector<double> measured;
  for (int64_t run : args.runs) ValidatedNetworks(*store, run, args, &nets, &measured);
  const auto correction = latency::NetworkCorrection::Fit(nets, measured, target.table, args.model);
  std::printf("network correction (%s) of table %lld (%s / %s), fitted on %zu networks\n",
              args.model.c_str(), static_cast<long long>(target.table.info().store_id),
              args.device.c_str(), space.name.c_str(), nets.size());
  if (args.test_run > 0) {
    std::vector<NetSpec> test;
    std::vector<double> truth, scaled, corrected;
    ValidatedNetworks(*store, args.test_run, args, &test, &truth);
    for (const NetSpec& net : test) {
      const auto e = latency::LatencyEstimator(target.table, nullptr).Run(net);
      scaled.push_back(e.total_ms);
      corrected.push_back(correction.CorrectedMs(net, target.table));
    }
    std::printf("on the %zu networks of run %lld (not fitted on):\n", test.size(),
                static_cast<long long>(args.test_run));
    char label[64];
    std::snprintf(label, sizeof label, "sum x network scale %.4f",
                  latency::NetworkScale(target.table));
    PrintAgreement(label, latency::CompareLatencies(scaled, truth));
    PrintAgreement("network correction", latency::CompareLatencies(corrected, truth));
  }
  correction.StoreIn(target.table, static_cast<int64_t>(nets.size()));
  SaveDeviceTable(*store, target);
  std::printf("stored with the table: 'latency estimate' and 'latency validate' report it\n");
}

void AddCorrectCommand(CLI::App& parent, const GlobalOptions& global) {
  auto args = std::make_shared<CorrectArgs>();
  auto* cmd =
      parent.add_subcommand(kLatencyCorrectCommand.name, kLatencyCorrectCommand.description);
  cmd->add_option("--space", args->space, "search space name or file")->required();
  cmd->add_option("--device", args->device, "a measurable device")->capture_default_str();
  cmd->add_option("--runs", args->runs, "'latency validate' runs to fit on")
      ->required()
      ->delimiter(',');
  cmd->add_option("--test-run", args->test_run, "a validate run to score on, not fitted on");
  cmd->add_option("--model", args->model, "ridge, gbt or ridge+gbt")
      ->capture_default_str()
      ->check(CLI::IsMember({"ridge", "gbt", "ridge+gbt"}));
  cmd->callback([args, &global] { RunCorrect(*args, global); });
}

// ---- validate ---------------------------------------------------------------------------------

struct ValidateArgs {
  std::string space;
  std::string device = "cpu";
  int64_t samples = 50;
  int64_t rounds = 3;
  uint64_t seed = 1;
  bool no_probe = false;
  latency::MeasureOptions measure;
};

// Seed stream of the validation architectures (calibration in `latency build` uses another).
constexpr uint64_t kValidation = 2000;

struct ValidationSample {
  std::string arch;
  NetSpec net;
  latency::Estimate estimate;
  double measured_ms = 0;
  // The estimate re-based to the probe timed around this network's measurement (latency/probe.h);
  // 0 when the table or the device has no probe.
  double rebased_ms = 0;
};

struct Validation {
  std::vector<ValidationSample> samples;
  std::optional<latency::ProbeSummary> table_probe;  // the table's build
  std::optional<latency::ProbeSummary> probe;        // during this validation
};

Validation MeasureSamples(const SearchSpace& space, DeviceTable& target, const ValidateArgs& args,
                          bool progress) {
  const std::vector<Arch> archs = RandomArchs(space, args.samples, args.seed, kValidation);
  latency::LatencyEstimator estimator(target.table, target.device.get());
  Validation v;
  for (const Arch& arch : archs) {
    ValidationSample s{FormatArch(arch), ToNetSpec(space, arch), {}, 0, 0};
    s.estimate = estimator.Run(s.net);
    v.samples.push_back(std::move(s));
  }
  std::vector<NetSpec> nets;
  for (const auto& s : v.samples) nets.push_back(s.net);
  latency::BuildOptions options{args.seed, args.rounds, progress, !args.no_probe};
  const latency::NetworkTimings timings =
      latency::MeasureNetworks(*target.device, nets, options, "validating on " + args.device);
  v.table_probe = latency::TableProbe(target.table);
  v.probe = timings.probe;
  for (size_t i = 0; i < v.samples.size(); ++i) {
    ValidationSample& s = v.samples[i];
    s.measured_ms = timings.ms[i];
    if (v.table_probe && !timings.probe_ms.empty())
      s.rebased_ms = s.estimate.total_ms * timings.probe_ms[i] / v.table_probe->median_ms;
  }
  return v;
}

std::string ValidationConfigText(const ValidateArgs& args, const DeviceTable& target) {
  return nlohmann::json{{"command", "latency validate"},
                        {"space", args.space},
                        {"device", args.device},
                        {"fingerprint", target.table.info().fingerprint},
                        {"samples", args.samples},
                        {"rounds", args.rounds},
                        {"seed", args.seed},
                        {"probe", !args.no_probe},
                        {"repeats", args.measure.repeats}}
      .dump(2);
}

struct Agreements {
  latency::Agreement plain;                   // the plain sum of layer entries
  latency::Agreement corrected;               // the sum times the calibrated network scale
  std::optional<latency::Agreement> network;  // the table's network correction, if it has one
  std::optional<latency::Agreement> rebased;  // corrected, re-based by the probe, if probed
};

Agreements Compare(const std::vector<ValidationSample>& samples) {
  std::vector<double> plain, corrected, network, rebased, measured;
  for (const auto& s : samples) {
    plain.push_back(s.estimate.layers_sum_ms);
    corrected.push_back(s.estimate.total_ms);
    if (s.estimate.corrected_ms) network.push_back(*s.estimate.corrected_ms);
    if (s.rebased_ms > 0) rebased.push_back(s.rebased_ms);
    measured.push_back(s.measured_ms);
  }
  Agreements a{latency::CompareLatencies(plain, measured),
               latency::CompareLatencies(corrected, measured),
               {},
               {}};
  if (!network.empty() && network.size() == measured.size())
    a.network = latency::CompareLatencies(network, measured);
  if (!rebased.empty() && rebased.size() == measured.size())
    a.rebased = latency::CompareLatencies(rebased, measured);
  return a;
}

MetricValues AgreementMetrics(const latency::Agreement& a, const std::string& prefix) {
  return {{prefix + "mape_percent", a.mape_percent},
          {prefix + "max_error_percent", a.max_ape_percent},
          {prefix + "kendall_tau", a.kendall_tau},
          {prefix + "within_5_percent", a.share_within_5pct},
          {prefix + "within_10_percent", a.share_within_10pct}};
}

ArchitectureRecord ValidationRecord(const ValidationSample& s, int64_t step,
                                    const std::string& device) {
  ArchitectureRecord record;
  record.role = "validation";
  record.step = step;
  record.arch = s.arch;
  record.netspec_json = NetSpecToJson(s.net);
  record.flops = NetFlops(s.net);
  record.params = NetParams(s.net);
  record.size_bits = NetSizeBits(s.net);
  // The estimate for the conditions the network was measured in: re-based where probed.
  record.estimated_latency_ms = s.rebased_ms > 0 ? s.rebased_ms : s.estimate.total_ms;
  record.measured_latency_ms = s.measured_ms;
  record.latency_device = device;
  return record;
}

// The probe's figures of a validation: its median, spread, and its ratio to the table's build.
MetricValues ProbeMetrics(const Validation& v) {
  MetricValues metrics;
  if (!v.probe) return metrics;
  metrics.push_back({"probe_ms", v.probe->median_ms});
  metrics.push_back({"probe_spread_percent", v.probe->spread_percent});
  metrics.push_back({"machine_unstable", v.probe->unstable() ? 1.0 : 0.0});
  if (v.table_probe) {
    metrics.push_back({"table_probe_ms", v.table_probe->median_ms});
    metrics.push_back({"probe_vs_table", v.probe->median_ms / v.table_probe->median_ms});
  }
  return metrics;
}

// Stores the validation as a run: the agreement of the calibrated estimate (prefixed rebased_,
// of the same re-based by the probe; plain_, of the plain sum), the probe's figures, and every
// sampled architecture with its estimated and measured latency, so `hwnas results show` lists
// them later.
int64_t StoreValidation(Store& store, const ValidateArgs& args, const DeviceTable& target,
                        const Validation& v, const Agreements& a) {
  results::RunInfo info;
  info.name = "validate-" + args.space + "-" + args.device;
  info.strategy = "latency-validate";
  info.config_text = ValidationConfigText(args, target);
  info.config_hash = Sha256Hex(info.config_text);
  info.device = args.device;
  info.seed = static_cast<int64_t>(args.seed);
  const int64_t run = store.BeginRun(info);
  auto reporter = store.MakeReporter(run);
  for (size_t i = 0; i < v.samples.size(); ++i)
    reporter->OnArchitecture(ValidationRecord(v.samples[i], static_cast<int64_t>(i), args.device));
  MetricValues metrics = AgreementMetrics(a.corrected, "");
  for (auto& m : AgreementMetrics(a.plain, "plain_")) metrics.push_back(m);
  if (a.network)
    for (auto& m : AgreementMetrics(*a.network, "network_correction_")) metrics.push_back(m);
  if (a.rebased)
    for (auto& m : AgreementMetrics(*a.rebased, "rebased_")) metrics.push_back(m);
  for (auto& m : ProbeMetrics(v)) metrics.push_back(m);
  metrics.push_back({"network_scale", latency::NetworkScale(target.table)});
  reporter->OnMetrics(0, metrics);
  store.FinishRun(run, results::RunStatus::kFinished);
  return run;
}

void PrintAgreement(const char* label, const latency::Agreement& a) {
  std::printf(
      "  %-26s MAPE %5.2f%%  max %6.2f%%  Kendall tau %.3f  within 5%%: %3.0f%%  "
      "within 10%%: %3.0f%%\n",
      label, a.mape_percent, a.max_ape_percent, a.kendall_tau, 100 * a.share_within_5pct,
      100 * a.share_within_10pct);
}

void RunValidate(const ValidateArgs& args, const GlobalOptions& global) {
  const SearchSpace space = LoadSpace(args.space);
  auto store = Store::Open(global.db_path);
  DeviceTable target = OpenDeviceTable(*store, args.device, args.measure, space.name);
  if (!target.device || target.device->kind() != latency::DeviceKind::kMeasurable)
    throw UsageError(
        "'latency validate' measures networks end to end: it needs a measurable "
        "device (cpu, cuda), not '" +
        args.device + "'");
  latency::BuildOptions build{args.seed, args.rounds, !global.quiet};
  latency::FillTable(*target.device, AllCandidateLayers(space), target.table, build);
  SaveDeviceTable(*store, target);
  const Validation v = MeasureSamples(space, target, args, !global.quiet);
  const Agreements a = Compare(v.samples);
  const int64_t run = StoreValidation(*store, args, target, v, a);
  std::printf("validated table %lld (%s / %s) on %lld random architectures (run %lld)\n",
              static_cast<long long>(target.table.info().store_id), args.device.c_str(),
              space.name.c_str(), static_cast<long long>(a.plain.count),
              static_cast<long long>(run));
  PrintAgreement("plain sum of layers", a.plain);
  char label[64];
  std::snprintf(label, sizeof label, "x network scale %.4f", latency::NetworkScale(target.table));
  PrintAgreement(label, a.corrected);
  if (a.network) PrintAgreement("network correction", *a.network);
  if (a.rebased) PrintAgreement("x scale, re-based by probe", *a.rebased);
  if (v.probe && v.table_probe)
    std::printf("  probe %.3f ms now (median), %.3f ms when the table was measured (x%.3f)\n",
                v.probe->median_ms, v.table_probe->median_ms,
                v.probe->median_ms / v.table_probe->median_ms);
  else if (v.probe)
    std::printf("  the table has no probe (measured before hwnas timed one): not re-based\n");
  if (v.probe) std::printf("  %s\n", latency::StabilityText(*v.probe).c_str());
}

void AddValidateCommand(CLI::App& parent, const GlobalOptions& global) {
  auto args = std::make_shared<ValidateArgs>();
  auto* cmd =
      parent.add_subcommand(kLatencyValidateCommand.name, kLatencyValidateCommand.description);
  cmd->add_option("--space", args->space, "search space name or file")->required();
  cmd->add_option("--device", args->device, "a measurable device")->capture_default_str();
  cmd->add_option("--samples", args->samples, "random architectures to measure")
      ->capture_default_str()
      ->check(CLI::Range(2, 100000));
  cmd->add_option("--rounds", args->rounds,
                  "interleaved measurements per network and entry; the fastest is kept")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  cmd->add_option("--seed", args->seed, "seed of the sampled architectures")->capture_default_str();
  cmd->add_flag("--no-probe", args->no_probe,
                "do not time the reference probe between networks (no re-basing, no stability "
                "figure; for comparing the two methods)");
  AddMeasureOptions(*cmd, &args->measure);
  cmd->callback([args, &global] { RunValidate(*args, global); });
}

}  // namespace

void AddLatencyEstimateCommands(CLI::App& latency, const GlobalOptions& global) {
  AddEstimateCommand(latency, global);
  AddValidateCommand(latency, global);
  AddOpModelCommand(latency, global);
  AddCorrectCommand(latency, global);
}

}  // namespace hwnas::cli
