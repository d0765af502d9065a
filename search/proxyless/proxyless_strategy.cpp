// Strategy proxyless: searches the config's space on its dataset against the device's latency
// table (completed first where the device can be measured, re-based to the machine's speed now),
// checks the derived network's measured latency on a measurable device, retrains it, and stores
// every derived architecture and the final network. Resumable from its per-epoch checkpoint.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/config.h"
#include "core/dataset.h"
#include "core/errors.h"
#include "core/text.h"
#include "latency/builder.h"
#include "latency/estimator.h"
#include "latency/probe.h"
#include "search/checkpoint.h"
#include "search/proxyless/latency_target.h"
#include "search/proxyless/proxyless.h"
#include "search/strategy.h"
#include "search/trainer.h"

namespace hwnas::search {
namespace {

std::string Summary(const Config& config, const NetSpec& net, const Arch& arch,
                    const TrainResult& r, double estimated_ms,
                    const std::optional<Delivery>& delivery) {
  std::string text = StringPrintf("  architecture   %s\n", FormatArch(arch).c_str());
  text += "  test accuracy  " + AccuracyText(r) + "\n";
  if (delivery) {
    text += StringPrintf("  latency        %s on %s\n", delivery->Text().c_str(),
                         config.device.name.c_str());
    if (delivery->network.probe)
      text += StringPrintf("  machine        %s\n",
                           latency::StabilityText(*delivery->network.probe).c_str());
  } else if (config.proxyless.target_kind == ProxylessTarget::kLatency) {
    // The trainer measures end to end on this CPU, whatever device the table belongs to.
    text += StringPrintf(
        "  latency        %.3f ms estimated on %s (target %g ms), %.3f ms measured on "
        "this cpu\n",
        estimated_ms, config.device.name.c_str(), config.proxyless.target_ms, r.latency_ms);
  } else {
    text += StringPrintf("  cost           target %g M MACs; %.3f ms measured on this cpu\n",
                         config.proxyless.target_mflops, r.latency_ms);
  }
  text += StringPrintf("  FLOPs          %.2f M MACs   params %.3f M\n", NetFlops(net) / 1e6,
                       NetParams(net) / 1e6);
  return text;
}

class ProxylessStrategy : public Strategy {
 public:
  void Prepare(const Config& config, RunServices& services, bool show_progress,
               int64_t resumed_run) override;
  const Config& StoredConfig() const override { return config_; }
  std::optional<DatasetRecord> Data() const override { return DescribeData(data_, config_.data); }
  std::string Run(RunContext& context) override;

  bool resumable() const override { return true; }
  std::optional<int64_t> CheckpointSteps(const std::string& artifact_dir,
                                         const std::string& config_hash) const override {
    const auto checkpoint = ReadCheckpointInfo(CheckpointPath(artifact_dir));
    if (!checkpoint) return std::nullopt;
    if (checkpoint->config_hash != config_hash)
      throw DataError("the checkpoint belongs to another config (" + CheckpointPath(artifact_dir) +
                      ")");
    return checkpoint->epochs_done;
  }
  int64_t total_steps() const override {
    return config_.proxyless.warmup_epochs + config_.proxyless.epochs;
  }

 private:
  void RebaseTable(RunServices& services, bool verbose, int64_t resumed_run);
  void CorrectByCheapestNetwork(RunServices& services, bool verbose, int64_t resumed_run);
  TrainResult Retrain(const NetSpec& net, RunContext& context, double estimated_ms,
                      const std::optional<Delivery>& delivery);
  bool measurable() const {
    return table_.device && table_.device->kind() == latency::DeviceKind::kMeasurable;
  }

  Config config_;
  SearchSpace space_;
  DataSplits data_;
  latency::DeviceTable table_;  // only for a latency target
  bool by_latency_ = false;
  std::optional<latency::Rebase> rebase_;
  double cheapest_correction_ = 1.0;            // applied to the table's entries after the re-base
  std::optional<double> cheapest_measured_ms_;  // when the target was below it by the table
};

// The table as the machine runs now: the search aims at the target in today's milliseconds
// rather than in those of the period the table was measured in. The factor is measured at the
// start, unless proxyless.rebase_factor pins it; a resumed run keeps the factor it stored when it
// started, so that its candidate costs stay the same (and one from before probes, or a table
// without one, is not re-based).
void ProxylessStrategy::RebaseTable(RunServices& services, bool verbose, int64_t resumed_run) {
  const std::optional<latency::ProbeSummary> probe = latency::TableProbe(table_.table);
  if (!measurable() || !probe) return;
  auto fixed = [&](double factor) {
    return latency::Rebase{probe->median_ms, probe->median_ms * factor, 0, 0, false, factor};
  };
  const double pinned = config_.proxyless.rebase_factor;
  if (resumed_run != 0) {
    const auto factor = services.StoredMetric(resumed_run, "latency_rebase_factor");
    if (factor) rebase_ = fixed(*factor);
  } else if (pinned > 0) {
    rebase_ = fixed(pinned);
  } else {
    // Five seconds of a search's minutes: long enough that a burst of the machine cannot set the
    // speed the whole search aims at.
    rebase_ = latency::RebaseNow(*table_.device, table_.table, {10, 5.0, 1000});
    // Rounded to the three decimals the log shows, far below the probe's noise, so that the
    // factor printed is the one to pin to reproduce this search.
    if (rebase_)
      rebase_->stored_factor = std::max(0.001, std::round(rebase_->factor() * 1000) / 1000);
  }
  if (!rebase_) return;
  table_.table = latency::RebasedTable(table_.table, *rebase_);
  if (!verbose) return;
  if (resumed_run == 0 && pinned > 0)
    std::fprintf(stderr, "latency table re-based x%.3f, as proxyless.rebase_factor says\n", pinned);
  else
    std::fprintf(stderr, "latency table %s\n", latency::RebaseText(*rebase_).c_str());
}

// A target below the cheapest network is checked end to end before it is refused: a table
// measured while the machine was busy prices every network too high (latency_target.h). Where
// the cheapest network measures more than 10% under its estimate, the search prices networks by
// that ratio; the delivery check still times the network it delivers. A resumed run applies the
// correction it stored when it started.
void ProxylessStrategy::CorrectByCheapestNetwork(RunServices& services, bool verbose,
                                                 int64_t resumed_run) {
  if (!measurable()) return;
  if (resumed_run != 0) {
    cheapest_correction_ =
        services.StoredMetric(resumed_run, "latency_cheapest_correction").value_or(1.0);
  } else {
    if (config_.proxyless.target_ms >= CheapestByTable(space_, table_.table).estimated_ms) return;
    latency::BuildOptions measure;
    measure.seed = config_.seed;
    measure.show_progress = false;
    const CheapestNetwork cheapest =
        TimeCheapestNetwork(space_, table_.table, *table_.device, measure);
    cheapest_measured_ms_ = cheapest.measured_ms;
    // A timing of 0 (a device that did not run) must not price every network at nothing.
    if (!(cheapest.ratio() > 0) || cheapest.ratio() >= kCheapestNetworkTolerance) return;
    cheapest_correction_ = cheapest.ratio();
    if (verbose)
      std::fprintf(stderr,
                   "latency table corrected x%.3f: the cheapest network measured %.3f ms end to "
                   "end against %.3f ms estimated, so its layers were timed while the machine was "
                   "busier; 'hwnas latency build --space %s --device %s --threads %lld --batch "
                   "%lld --force' measures them again\n",
                   cheapest_correction_, cheapest.measured_ms, cheapest.estimated_ms,
                   config_.space.c_str(), config_.device.name.c_str(),
                   static_cast<long long>(config_.device.threads),
                   static_cast<long long>(config_.device.batch));
  }
  if (cheapest_correction_ != 1.0)
    table_.table = latency::ScaledTable(table_.table, cheapest_correction_);
}

// What a search needs, checked before a run is stored or reopened: the space shaped for the data,
// the target is reachable, and the device's table holds every candidate.
void ProxylessStrategy::Prepare(const Config& config, RunServices& services, bool show_progress,
                                int64_t resumed_run) {
  config_ = config;
  data_ = LoadDataSplits(config.data, config.seed);
  space_ = FitSpaceToData(LoadSpace(config.space), data_.train, config.source_path);
  by_latency_ = config.proxyless.target_kind == ProxylessTarget::kLatency;
  if (!by_latency_) return CheckProxylessSearch(space_, config, data_, nullptr);
  table_ = services.CompleteTable(space_, config);
  RebaseTable(services, show_progress, resumed_run);
  CorrectByCheapestNetwork(services, show_progress, resumed_run);
  CheckProxylessSearch(space_, config, data_, &table_.table, cheapest_measured_ms_);
}

// Retrains the derived network (from scratch, or from the supernet's weights with fine_tune) and
// stores it as the final architecture, with its latency estimated from the table next to the one
// measured. Retraining reports its epochs after the search's, so metric steps never collide.
TrainResult ProxylessStrategy::Retrain(const NetSpec& net, RunContext& context, double estimated_ms,
                                       const std::optional<Delivery>& delivery) {
  Config retrain = config_;
  if (config_.proxyless.retrain_epochs > 0) retrain.train.epochs = config_.proxyless.retrain_epochs;
  const int64_t search_epochs = total_steps();
  OffsetReporter offset(*context.reporter, search_epochs);
  TrainContext train = TrainContextOf(context);
  train.reporter = &offset;
  if (config_.proxyless.fine_tune) train.initial_weights = context.artifact_dir + "/inherited.pt";
  // The delivery check has timed the network end to end already, under the table's conditions.
  if (delivery) train.measure_latency = false;
  // The held-out images decided the architecture; the delivered network may learn from them.
  // Splitting with no held-out part keeps the seed's shuffle and the train set's normalisation,
  // and the other ranks of a job load the same splits from the retraining's config.
  std::optional<DataSplits> all_images;
  if (config_.proxyless.retrain_on_holdout) {
    retrain.data.holdout_fraction = 0;
    all_images = LoadDataSplits(retrain.data, config_.seed);
    if (context.show_progress)
      std::fprintf(stderr, "retraining on all %lld training images (the held-out ones too)\n",
                   static_cast<long long>(all_images->train.size()));
  }
  const TrainResult result = TrainNetwork(net, retrain, all_images ? *all_images : data_, train);
  ArchitectureRecord final_arch = offset.held.back();
  final_arch.step = search_epochs + retrain.train.epochs - 1;
  if (estimated_ms > 0) final_arch.estimated_latency_ms = estimated_ms;
  if (delivery) final_arch.measured_latency_ms = delivery->network.measured_ms;
  context.reporter->OnArchitecture(final_arch);
  return result;
}

std::string ProxylessStrategy::Run(RunContext& context) {
  Reporter& reporter = *context.reporter;
  SearchContext search;
  search.reporter = &reporter;
  search.show_progress = context.show_progress;
  search.checkpoint_path = CheckpointPath(context.artifact_dir);
  search.resume = context.resume;
  search.stop_requested = context.stop_requested;
  if (config_.proxyless.fine_tune)
    search.inherited_weights_path = context.artifact_dir + "/inherited.pt";
  if (rebase_ && !context.resume) {
    MetricValues rebase = {{"latency_rebase_factor", rebase_->factor()},
                           {"table_probe_ms", rebase_->table_probe_ms}};
    if (rebase_->probes > 0) rebase.push_back({"search_start_probe_ms", rebase_->now_probe_ms});
    reporter.OnMetrics(0, rebase);
  }
  if (cheapest_correction_ != 1.0 && !context.resume)
    reporter.OnMetrics(0, {{"latency_cheapest_correction", cheapest_correction_}});
  const latency::LatencyTable* table = by_latency_ ? &table_.table : nullptr;
  const ProxylessResult found = RunProxylessSearch(space_, config_, data_, table, search);
  // On a measurable device the delivered network is the one that measures within the target.
  std::optional<Delivery> delivery;
  if (by_latency_ && measurable())
    delivery = DeliverSearchedNetwork(space_, config_, found, table_.table, *table_.device,
                                      reporter, context.show_progress);
  const Arch arch = delivery ? delivery->network.arch : found.arch;
  const NetSpec net = delivery ? delivery->network.net : found.net;
  double estimated_ms = 0;
  if (by_latency_)
    estimated_ms = latency::LatencyEstimator(table_.table, nullptr).Run(net).total_ms;
  const TrainResult result = Retrain(net, context, estimated_ms, delivery);
  return Summary(config_, net, arch, result, estimated_ms, delivery);
}

const bool registered =
    RegisterStrategy("proxyless", [] { return std::make_unique<ProxylessStrategy>(); });

}  // namespace
}  // namespace hwnas::search
