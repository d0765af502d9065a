#include "search/evolution/specialize.h"

#include <torch/types.h>
#include <torch/utils.h>

#include <tbb/task_arena.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "core/config.h"
#include "core/dataset.h"
#include "core/netspec.h"
#include "core/timing.h"
#include "search/supernet_weights.h"
#include "search/train_util.h"
#include "supernet/supernet.h"

namespace hwnas::search {
namespace {

constexpr int64_t kRecalibrationBatches = 10;

ArchitectureRecord RecordOf(const NetSpec& net, const std::string& role, const std::string& arch) {
  ArchitectureRecord r;
  r.role = role;
  r.arch = arch;
  r.netspec_json = NetSpecToJson(net);
  r.flops = NetFlops(net);
  r.params = NetParams(net);
  r.size_bits = NetSizeBits(net);
  return r;
}

// A scored sample as the run's architecture at step `index`.
void ReportSample(Reporter& reporter, const SearchSpace& space, const AccuracySample& sample,
                  int64_t index) {
  ArchitectureRecord r = RecordOf(ToNetSpec(space, sample.arch), "sample", FormatArch(sample.arch));
  r.step = index;
  r.accuracy = sample.accuracy;
  reporter.OnArchitecture(r);
}

}  // namespace

Specializer::Specializer(const SearchSpace& space, const Config& config, const DataSplits& data,
                         std::string checkpoint)
    : space_(space), config_(config), data_(data), checkpoint_(std::move(checkpoint)) {}
Specializer::~Specializer() = default;

const AccuracyModel& Specializer::FitPredictor(Reporter& reporter, bool show_progress,
                                               const std::atomic<bool>* stop,
                                               const SamplingProgress& progress,
                                               bool fit_reported) {
  const EvolutionOptions& e = config_.evolution;
  const auto start = std::chrono::steady_clock::now();
  SamplingProgress reporting{progress.scored, [&](const std::vector<AccuracySample>& samples) {
                               ReportSample(reporter, space_, samples.back(),
                                            static_cast<int64_t>(samples.size()) - 1);
                               if (progress.on_sample) progress.on_sample(samples);
                             }};
  const std::vector<AccuracySample> samples =
      SampleAccuracies(space_, config_, data_, checkpoint_, e.accuracy_samples, e.eval_images,
                       show_progress, stop, reporting);
  const double sampling_seconds = SecondsSince(start);
  const auto fit_start = std::chrono::steady_clock::now();
  model_.emplace(FitAccuracyModel(space_, samples, e.predictor, e.test_share, config_.seed));
  if (!fit_reported)
    reporter.OnMetrics(0, {{"accuracy_samples", static_cast<double>(samples.size())},
                           {"sampling_seconds", sampling_seconds},
                           {"predictor_fit_seconds", SecondsSince(fit_start)},
                           {"predictor_train_count", static_cast<double>(model_->train_count)},
                           {"predictor_test_count", static_cast<double>(model_->test.count)},
                           {"predictor_rmse", model_->test.rmse},
                           {"predictor_kendall_tau", model_->test.kendall_tau}});
  if (show_progress)
    std::fprintf(stderr,
                 "accuracy predictor (%s): fitted on %zu architectures; on %zu it did not see: "
                 "RMSE %.2f points, Kendall tau %.3f (sampling %.1f s)\n",
                 e.predictor.c_str(), model_->train_count, model_->test.count,
                 100 * model_->test.rmse, model_->test.kendall_tau, sampling_seconds);
  return *model_;
}

SpecializedNetwork Specializer::Specialize(const LatencyTarget& target, Reporter& reporter,
                                           const TrainContext& context) {
  EvolutionProblem problem;
  for (const BlockPosition& b : Blocks(space_))
    problem.choices.push_back(CandidateNames(space_, b));
  problem.latency_ms = target.latency_ms;
  problem.accuracy = [this](const std::vector<Arch>& archs) { return model_->Predict(archs); };
  problem.target_ms = target.target_ms;
  // The population is evaluated on config.threads threads (TBB); the result does not depend on
  // how many.
  tbb::task_arena arena(static_cast<int>(std::max<int64_t>(1, config_.threads)));
  EvolutionResult found;
  arena.execute(
      [&] { found = Evolve(problem, config_.evolution, config_.seed, config_.threads > 1); });

  SpecializedNetwork out;
  out.arch = found.best.arch;
  out.net = ToNetSpec(space_, out.arch);
  out.predicted_accuracy = found.best.accuracy;
  out.estimated_ms = found.best.latency_ms;
  out.search_seconds = found.seconds;
  out.evaluated = found.evaluated;

  // The network with the supernet's weights and its path's batch-norm statistics.
  supernet::SuperNet net(space_);
  LoadSupernetFromCheckpoint(net, checkpoint_);
  if (config_.train.channels_last) supernet::ToChannelsLast(*net);
  net->SetActive(out.arch);
  RecalibrateBatchNorm(net, data_.train, config_, kRecalibrationBatches);
  out.inherited_test_accuracy = Accuracy(net, data_.test, config_);
  reporter.OnMetrics(0, {{"target_ms", target.target_ms},
                         {"predicted_accuracy", out.predicted_accuracy},
                         {"estimated_latency_ms", out.estimated_ms},
                         {"inherited_test_accuracy", out.inherited_test_accuracy},
                         {"evolution_seconds", out.search_seconds},
                         {"latency_estimates", static_cast<double>(out.evaluated)}});

  ArchitectureRecord final_arch = RecordOf(out.net, "final", FormatArch(out.arch));
  final_arch.estimated_latency_ms = out.estimated_ms;
  final_arch.latency_device = target.device;
  final_arch.accuracy = out.inherited_test_accuracy;
  if (config_.evolution.finetune_epochs > 0) {
    supernet::Network standalone(out.net);
    net->CopyWeightsTo(out.arch, standalone);
    const std::string inherited = context.artifact_dir + "/inherited.pt";
    SaveModule(standalone, inherited, "inherited weights");
    Config tune = config_;
    tune.train.epochs = config_.evolution.finetune_epochs;
    tune.train.learning_rate = config_.evolution.finetune_learning_rate;
    OffsetReporter offset(reporter, 1);
    TrainContext train = context;
    train.measure_latency = false;  // measured below, the same way as without fine-tuning
    train.reporter = &offset;
    train.initial_weights = inherited;
    out.finetuned = TrainNetwork(out.net, tune, data_, train);
    final_arch.accuracy = out.finetuned->test_accuracy;
    if (!out.finetuned->weights_path.empty())
      reporter.OnArtifact("weights", out.finetuned->weights_path);
  }
  if (target.measure_ms)
    out.measured_ms = final_arch.measured_latency_ms = target.measure_ms(out.net);
  reporter.OnArchitecture(final_arch);
  return out;
}

}  // namespace hwnas::search
