// `hwnas latency predictor` (how well an op latency model fitted on a device's table predicts
// entries it did not see) and `hwnas latency correct` (a network-level correction learned from
// `latency validate` runs and stored with the table).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/engine_commands.h"
#include "cli/latency_common.h"
#include "cli/latency_validate_cmd.h"
#include "cli/output.h"
#include "core/errors.h"
#include "core/netspec_yaml.h"
#include "latency/estimator.h"
#include "latency/network_correction.h"
#include "latency/op_predictor.h"

namespace hwnas::cli {
namespace {

using results::Store;

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
    PrintAgreement(label, CompareToTruth(scaled, truth));
    PrintAgreement("network correction", CompareToTruth(corrected, truth));
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

}  // namespace

void AddLatencyModelCommands(CLI::App& latency, const GlobalOptions& global) {
  AddOpModelCommand(latency, global);
  AddCorrectCommand(latency, global);
}

}  // namespace hwnas::cli
