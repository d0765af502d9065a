// `hwnas predictor validate|fit|evaluate`: latency predictors trained on architectures measured
// end to end (a CSV such as ../shared/data/latency/ofa-mbv3-gpu-latency.csv), how well they
// rank and estimate the architectures they did not see, and saved predictors applied to new
// files.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <numeric>
#include <random>

#include "cli/commands.h"
#include "cli/output.h"
#include "core/errors.h"
#include "predictors/arch_csv.h"
#include "predictors/arch_encoding.h"
#include "predictors/predictor.h"

namespace hwnas::cli {
namespace {

using predictors::ArchEncoder;
using predictors::Examples;
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

// A seeded Fisher-Yates shuffle of 0..n-1 (the same on every platform, unlike std::shuffle).
std::vector<size_t> Shuffled(size_t n, uint64_t seed) {
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed);
  for (size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng() % i]);
  return order;
}

Examples Subset(const Examples& all, const std::vector<size_t>& order, size_t from, size_t to) {
  Examples out;
  out.features = all.features;
  for (size_t i = from; i < to; ++i) out.Add(all.rows[order[i]], all.targets[order[i]]);
  return out;
}

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

Examples ColumnExamples(const MeasuredArchs& data, const ArchEncoder& encoder, size_t column) {
  return encoder.Encode(data.samples, data.latency[column]);
}

void CheckTrainSize(int64_t n, size_t available) {
  if (n < 1 || static_cast<size_t>(n) >= available)
    throw UsageError("--train " + std::to_string(n) +
                     " leaves no test architectures (the file has " + std::to_string(available) +
                     "; expected 1.." + std::to_string(available - 1) + ")");
}

// Transfer from another device, as HELP does with its meta-training devices: a predictor fitted
// on every architecture measured on the prior column answers for each architecture, and the
// target device's few examples only learn how its latency maps from that answer (a quadratic),
// which a handful of examples can do where the whole encoding needs hundreds.
Examples WithPrior(Examples examples, const std::vector<double>& prior, const std::string& name) {
  examples.features = {"prior:" + name, "prior:" + name + "^2"};
  for (size_t i = 0; i < examples.rows.size(); ++i)
    examples.rows[i] = {prior[i], prior[i] * prior[i]};
  return examples;
}

std::vector<double> PriorPredictions(const MeasuredArchs& data, const ArchEncoder& encoder,
                                     const PredictorArgs& args) {
  if (args.prior.empty()) return {};
  const Examples all = ColumnExamples(data, encoder, ColumnIndex(data, args.prior, args.csv));
  auto prior = predictors::MakePredictor("ridge+gbt");
  prior->Fit(all);
  return prior->PredictAll(all);
}

void RunValidate(const PredictorArgs& args) {
  MeasuredArchs data = predictors::ReadOfaArchCsv(args.csv);
  data.layout.per_block = args.per_block;
  const ArchEncoder encoder(data.layout);
  for (int64_t n : args.train) CheckTrainSize(n, data.samples.size());
  for (const std::string& m : args.models) predictors::MakePredictor(m);  // names first
  const std::vector<double> prior = PriorPredictions(data, encoder, args);
  Table table{{"column", "train", "model", "test", "kendall_tau", "within_10pct", "mape", "rmse_ms",
               "fit_seconds"},
              {}};
  for (size_t column : SelectedColumns(data, args)) {
    if (data.columns[column] == args.prior) continue;
    Examples all = ColumnExamples(data, encoder, column);
    if (!prior.empty()) all = WithPrior(std::move(all), prior, args.prior);
    for (int64_t n : args.train)
      for (const std::string& model : args.models) {
        predictors::PredictionErrors mean;
        double seconds = 0;
        for (int64_t r = 0; r < args.repeats; ++r) {
          const std::vector<size_t> order = Shuffled(all.size(), args.seed + r);
          const Examples train = Subset(all, order, 0, n), test = Subset(all, order, n, all.size());
          auto predictor = predictors::MakePredictor(model);
          const auto start = std::chrono::steady_clock::now();
          predictor->Fit(train);
          seconds +=
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
          const auto e = predictors::Evaluate(*predictor, test);
          mean.count = e.count;
          mean.kendall_tau += e.kendall_tau / args.repeats;
          mean.within_10 += e.within_10 / args.repeats;
          mean.mape += e.mape / args.repeats;
          mean.rmse += e.rmse / args.repeats;
        }
        table.rows.push_back({data.columns[column], n, model, static_cast<int64_t>(mean.count),
                              mean.kendall_tau, mean.within_10, mean.mape, mean.rmse,
                              seconds / args.repeats});
        if (args.format == OutputFormat::kTable)
          std::fprintf(stderr, "%s N=%lld %s: tau %.3f, within 10%% %.1f%%\n",
                       data.columns[column].c_str(), static_cast<long long>(n), model.c_str(),
                       mean.kendall_tau, 100 * mean.within_10);
      }
  }
  WriteTable(std::cout, table, args.format);
}

void PrintErrors(const std::string& what, const predictors::PredictionErrors& e) {
  std::printf(
      "%s: %zu architectures, Kendall tau %.4f, within 10%% %.1f%%, MAPE %.2f%%, RMSE %.4f "
      "ms\n",
      what.c_str(), e.count, e.kendall_tau, 100 * e.within_10, 100 * e.mape, e.rmse);
}

void RunFit(const PredictorArgs& args) {
  MeasuredArchs data = predictors::ReadOfaArchCsv(args.csv);
  data.layout.per_block = args.per_block;
  const ArchEncoder encoder(data.layout);
  if (args.columns.size() != 1) throw UsageError("fit needs exactly one --column");
  const Examples all = ColumnExamples(data, encoder, ColumnIndex(data, args.columns[0], args.csv));
  const int64_t n = args.train.empty() ? static_cast<int64_t>(all.size()) : args.train.front();
  if (n < 1 || static_cast<size_t>(n) > all.size())
    throw UsageError("--train " + std::to_string(n) + " outside 1.." + std::to_string(all.size()));
  const std::vector<size_t> order = Shuffled(all.size(), args.seed);
  auto predictor = predictors::MakePredictor(args.models.front());
  predictor->Fit(Subset(all, order, 0, n));
  predictor->Save(args.predictor_path);
  std::printf("%s predictor of %s fitted on %lld architectures, %zu features: %s\n",
              predictor->kind().c_str(), args.columns[0].c_str(), static_cast<long long>(n),
              predictor->features().size(), args.predictor_path.c_str());
  if (static_cast<size_t>(n) < all.size())
    PrintErrors("held out", predictors::Evaluate(*predictor, Subset(all, order, n, all.size())));
}

void RunEvaluate(const PredictorArgs& args) {
  auto predictor = predictors::LoadPredictor(args.predictor_path);
  MeasuredArchs data = predictors::ReadOfaArchCsv(args.csv);
  data.layout.per_block = args.per_block;
  const ArchEncoder encoder(data.layout);
  for (size_t column : SelectedColumns(data, args))
    PrintErrors(data.columns[column],
                predictors::Evaluate(*predictor, ColumnExamples(data, encoder, column)));
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
