// `hwnas predictor validate|fit|evaluate`: latency predictors trained on architectures measured
// end to end (a CSV such as ../shared/data/latency/ofa-mbv3-gpu-latency.csv), how well they
// rank and estimate the architectures they did not see, and saved predictors applied to new
// files.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <optional>

#include "cli/commands.h"
#include "cli/output.h"
#include "core/errors.h"
#include "predictors/arch_csv.h"
#include "predictors/experiment.h"
#include "predictors/predictor.h"

namespace hwnas::cli {
namespace {

using predictors::MeasuredArchs;

struct PredictorArgs {
  std::string csv;
  std::vector<std::string> columns;  // empty: every measured column
  std::vector<int64_t> train = {20, 100, 1000};
  std::vector<std::string> models = {"ridge"};
  int64_t repeats = 3;
  uint64_t seed = 1;
  bool per_block = false;
  std::string prior;  // validate: a column (another device) whose predictions are a feature
  std::string predictor_path;  // fit: --out; evaluate: the saved predictor
  OutputFormat format = OutputFormat::kTable;
};

size_t ColumnIndex(const MeasuredArchs& data, const std::string& name, const std::string& path) {
  for (size_t c = 0; c < data.columns.size(); ++c)
    if (data.columns[c] == name) return c;
  std::string known;
  for (const std::string& c : data.columns) known += (known.empty() ? "" : ", ") + c;
  throw UsageError("--column '" + name + "' is not a latency column of " + path +
                   " (columns: " + known + ")");
}

std::vector<size_t> SelectedColumns(const MeasuredArchs& data, const PredictorArgs& args) {
  std::vector<size_t> out;
  if (args.columns.empty())
    for (size_t c = 0; c < data.columns.size(); ++c) out.push_back(c);
  for (const std::string& name : args.columns) out.push_back(ColumnIndex(data, name, args.csv));
  return out;
}

void CheckTrainSize(int64_t n, size_t available) {
  if (n < 1 || static_cast<size_t>(n) >= available)
    throw UsageError("--train " + std::to_string(n) +
                     " leaves no test architectures (the file has " + std::to_string(available) +
                     "; expected 1.." + std::to_string(available - 1) + ")");
}

void RunValidate(const PredictorArgs& args) {
  MeasuredArchs data = predictors::ReadOfaArchCsv(args.csv);
  data.layout.per_block = args.per_block;
  for (int64_t n : args.train) CheckTrainSize(n, data.samples.size());
  predictors::SplitOptions options{
      SelectedColumns(data, args), args.train, args.models, args.repeats, args.seed, std::nullopt};
  if (!args.prior.empty()) options.prior = ColumnIndex(data, args.prior, args.csv);
  Table table{{"column", "train", "model", "test", "kendall_tau", "within_10pct", "mape", "rmse_ms",
               "fit_seconds"},
              {}};
  predictors::RepeatedSplits(data, options, [&](const predictors::SplitResult& r) {
    const Agreement& mean = r.mean;
    table.rows.push_back({data.columns[r.column], r.train, r.model,
                          static_cast<int64_t>(mean.count), mean.kendall_tau, mean.within_10,
                          mean.mape, mean.rmse, r.fit_seconds});
    if (args.format == OutputFormat::kTable)
      std::fprintf(stderr, "%s N=%lld %s: tau %.3f, within 10%% %.1f%%\n",
                   data.columns[r.column].c_str(), static_cast<long long>(r.train), r.model.c_str(),
                   mean.kendall_tau, 100 * mean.within_10);
  });
  WriteTable(std::cout, table, args.format);
}

void PrintErrors(const std::string& what, const Agreement& e) {
  std::printf(
      "%s: %zu architectures, Kendall tau %.4f, within 10%% %.1f%%, MAPE %.2f%%, RMSE %.4f "
      "ms\n",
      what.c_str(), e.count, e.kendall_tau, 100 * e.within_10, 100 * e.mape, e.rmse);
}

void RunFit(const PredictorArgs& args) {
  MeasuredArchs data = predictors::ReadOfaArchCsv(args.csv);
  data.layout.per_block = args.per_block;
  if (args.columns.size() != 1) throw UsageError("fit needs exactly one --column");
  const size_t column = ColumnIndex(data, args.columns[0], args.csv);
  const size_t all = data.samples.size();
  const int64_t n = args.train.empty() ? static_cast<int64_t>(all) : args.train.front();
  if (n < 1 || static_cast<size_t>(n) > all)
    throw UsageError("--train " + std::to_string(n) + " outside 1.." + std::to_string(all));
  const predictors::FittedPredictor fitted =
      predictors::FitColumn(data, column, args.models.front(), static_cast<size_t>(n), args.seed);
  fitted.predictor->Save(args.predictor_path);
  std::printf("%s predictor of %s fitted on %lld architectures, %zu features: %s\n",
              fitted.predictor->kind().c_str(), args.columns[0].c_str(), static_cast<long long>(n),
              fitted.predictor->features().size(), args.predictor_path.c_str());
  if (fitted.held_out) PrintErrors("held out", *fitted.held_out);
}

void RunEvaluate(const PredictorArgs& args) {
  auto predictor = predictors::LoadPredictor(args.predictor_path);
  MeasuredArchs data = predictors::ReadOfaArchCsv(args.csv);
  data.layout.per_block = args.per_block;
  for (size_t column : SelectedColumns(data, args))
    PrintErrors(data.columns[column],
                predictors::Evaluate(*predictor, predictors::ColumnExamples(data, column)));
}

void AddCommonOptions(CLI::App& cmd, PredictorArgs& a) {
  cmd.add_option("CSV", a.csv,
                 "architectures and their latency: columns ks, e, d, r, then one "
                 "column per device (the OFA MobileNetV3 format)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd.add_flag("--per-block", a.per_block,
               "also one-hot choices per block (more features; helps with many examples)");
}

}  // namespace

void AddPredictorCommands(CLI::App& app) {
  auto* predictor = app.add_subcommand(
      "predictor", "latency predictors learned from architectures measured end to end");
  predictor->require_subcommand(1);
  auto args = std::make_shared<PredictorArgs>();

  auto* validate = predictor->add_subcommand(
      "validate", "fit on N random architectures of each column, score on all the others");
  AddCommonOptions(*validate, *args);
  validate->add_option("--column", args->columns, "latency columns (default: all)")->delimiter(',');
  validate->add_option("--train", args->train, "training set sizes (default 20,100,1000)")
      ->delimiter(',');
  validate->add_option("--model", args->models, "ridge, gbt or ridge+gbt (default ridge)")
      ->delimiter(',');
  validate->add_option("--repeats", args->repeats, "random splits averaged (default 3)")
      ->check(CLI::Range(1, 100));
  validate->add_option("--seed", args->seed, "seed of the first split (default 1)");
  validate->add_option("--prior", args->prior,
                       "another device's column: a predictor fitted on all of its architectures "
                       "becomes a feature (transfer between devices, as HELP's meta-training)");
  AddFormatOption(*validate, &args->format);
  validate->callback([args] { RunValidate(*args); });

  auto* fit = predictor->add_subcommand(
      "fit", "fit one predictor on one column and save it (JSON); scores it on the rest");
  AddCommonOptions(*fit, *args);
  fit->add_option("--column", args->columns, "the latency column")->required();
  fit->add_option("--train", args->train, "architectures to fit on (default: all)")->expected(1);
  fit->add_option("--model", args->models, "ridge, gbt or ridge+gbt (default ridge)")->expected(1);
  fit->add_option("--seed", args->seed, "seed of the random choice of architectures");
  fit->add_option("--out", args->predictor_path, "where to write the predictor")->required();
  fit->callback([args] {
    if (args->train == std::vector<int64_t>{20, 100, 1000}) args->train.clear();
    RunFit(*args);
  });

  auto* evaluate =
      predictor->add_subcommand("evaluate", "score a saved predictor on every row of a CSV");
  evaluate->add_option("PREDICTOR", args->predictor_path, "a file written by `predictor fit`")
      ->required()
      ->check(CLI::ExistingFile);
  AddCommonOptions(*evaluate, *args);
  evaluate->add_option("--column", args->columns, "latency columns (default: all)")->delimiter(',');
  evaluate->callback([args] { RunEvaluate(*args); });
}

}  // namespace hwnas::cli
