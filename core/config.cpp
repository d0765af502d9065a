#include "core/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "core/errors.h"
#include "core/yaml_reader.h"

namespace hwnas {
namespace {

namespace fs = std::filesystem;
using yaml::IntRange;
using yaml::Presence;
using yaml::RealRange;
using yaml::Schema;
using yaml::StringRule;

const std::vector<std::pair<std::string, DatasetKind>>& DatasetNames() {
  static const auto* const kNames = new std::vector<std::pair<std::string, DatasetKind>>{
      {"fashion-mnist", DatasetKind::kFashionMnist}, {"cifar10", DatasetKind::kCifar10},
      {"synthetic", DatasetKind::kSynthetic},        {"folder", DatasetKind::kFolder},
      {"cifar100", DatasetKind::kCifar100},
  };
  return *kNames;
}

// ---- The schema: one line per key; defaults come from core/options.h ---------------------------

Schema<AugmentOptions> AugmentSchema() {
  using O = AugmentOptions;
  Schema<O> s;
  s.Integer("crop_padding", &O::crop_padding, IntRange::Between(0, 16),
            "random crop after zero padding by this many pixels per side; 0 = no cropping");
  s.Bool("horizontal_flip", &O::horizontal_flip, "random horizontal flip of training images");
  s.Real("random_erasing", &O::random_erasing, RealRange::Closed(0, 1),
         "probability that a training image gets a random rectangle (2-40% of its area, aspect "
         "0.3-3.3) filled with random pixels (random erasing); 0 = off");
  return s;
}

Schema<SyntheticOptions> SyntheticSchema() {
  using O = SyntheticOptions;
  Schema<O> s;
  s.Integer("train_samples", &O::train_samples, IntRange::AtLeast(1), "training images");
  s.Integer("test_samples", &O::test_samples, IntRange::AtLeast(1), "test images");
  s.Integer("image_size", &O::image_size, IntRange::Between(4, 256),
            "height and width of the square images");
  s.Integer("channels", &O::channels, IntRange::Between(1, 4), "image channels");
  s.Integer("classes", &O::classes, IntRange::Between(2, 100), "number of classes");
  s.Real("noise", &O::noise, RealRange::Closed(0, 2),
         "standard deviation of the pixel noise added to the class patterns (pixels in [0, 1])");
  return s;
}

Schema<DataOptions> DataSchema() {
  using O = DataOptions;
  Schema<O> s;
  s.Enum("dataset", &O::dataset, DatasetNames(), "dataset to train and evaluate on");
  s.String("path", &O::path, StringRule::kAny,
           "directory of the dataset files; empty = the dataset's default location");
  s.Real("holdout_fraction", &O::holdout_fraction, RealRange::Closed(0, 0.9),
         "share of the training set held out for architecture and policy decisions");
  s.Integer("train_limit", &O::train_limit, IntRange::AtLeast(0),
            "use only the first N training images (after shuffling); 0 = all");
  s.Integer("test_limit", &O::test_limit, IntRange::AtLeast(0),
            "evaluate on the first N test images; 0 = all");
  s.Integer("batch_size", &O::batch_size, IntRange::Between(1, 65536), "images per training batch");
  s.Integer("prefetch_batches", &O::prefetch_batches, IntRange::Between(1, 64),
            "batches prepared ahead of the trainer");
  s.Section("augment", &O::augment, AugmentSchema(), "training-time augmentation");
  s.Section("synthetic", &O::synthetic, SyntheticSchema(),
            "the generated dataset (used when dataset is synthetic)");
  s.Integer("image_size", &O::image_size, IntRange::Between(0, 1024),
            "dataset folder: side of the square images after resizing the shorter side and "
            "centre-cropping; required (0 = unset)");
  s.Integer("channels", &O::channels, IntRange::Between(0, 3),
            "dataset folder: 1 (grayscale), 3 (RGB) or 0 = from the images (all grayscale -> 1, "
            "all colour -> 3)");
  s.Real("test_fraction", &O::test_fraction, RealRange::OpenClosed(0, 0.9),
         "dataset folder without train/ and test/: share of each class's images held out as the "
         "test set (the same images for every seed)");
  s.Bool("skip_bad_images", &O::skip_bad_images,
         "dataset folder: leave out images that cannot be decoded, list them and warn, instead "
         "of stopping");
  s.String("cache_dir", &O::cache_dir, StringRule::kAny,
           "dataset folder: directory of the decoded-image cache; empty = $XDG_CACHE_HOME/hwnas, "
           "else ~/.cache/hwnas");
  s.Enum("cifar100_labels", &O::cifar100_labels,
         {{"fine", Cifar100Labels::kFine}, {"coarse", Cifar100Labels::kCoarse}},
         "dataset cifar100: the 100 fine classes or the 20 coarse superclasses");
  return s;
}

Schema<DeviceOptions> DeviceSchema() {
  using O = DeviceOptions;
  Schema<O> s;
  s.String("name", &O::name, StringRule::kNonEmpty,
           "device whose latency is measured or looked up");
  s.Integer("threads", &O::threads, IntRange::Between(1, 256),
            "intra-op threads while measuring latency");
  s.Integer("batch", &O::batch, IntRange::Between(1, 4096), "batch size of latency measurements");
  return s;
}

Schema<TrainOptions> TrainSchema() {
  using O = TrainOptions;
  Schema<O> s;
  s.Integer("epochs", &O::epochs, IntRange::Between(1, 10000), "passes over the training set");
  s.Real("learning_rate", &O::learning_rate, RealRange::OpenClosed(0, 10),
         "initial SGD learning rate");
  s.Real("momentum", &O::momentum, RealRange::ClosedOpen(0, 1), "SGD momentum");
  s.Real("weight_decay", &O::weight_decay, RealRange::ClosedOpen(0, 1), "L2 weight decay");
  s.Real("label_smoothing", &O::label_smoothing, RealRange::ClosedOpen(0, 1),
         "label smoothing of the cross-entropy loss");
  s.Bool("channels_last", &O::channels_last,
         "channels-last memory format for convolutions on CPU (faster on most CPUs)");
  return s;
}

Schema<ProxylessOptions> ProxylessSchema() {
  using O = ProxylessOptions;
  Schema<O> s;
  s.Integer("warmup_epochs", &O::warmup_epochs, IntRange::Between(0, 10000),
            "epochs training only the supernet's weights, on uniformly sampled paths (see "
            "warmup_paths)");
  s.Enum("warmup_paths", &O::warmup_paths,
         {{"uniform", WarmupPaths::kUniform}, {"sandwich", WarmupPaths::kSandwich}},
         "paths of a warm-up step: uniform = one uniformly sampled path; sandwich = the largest "
         "and the smallest path by candidate cost and a uniform one, their gradients summed "
         "(about 3x the warm-up time; a stronger supernet, docs/strategies/proxyless.md)");
  s.Integer("epochs", &O::epochs, IntRange::Between(1, 10000),
            "search epochs training weights and architecture parameters in turn");
  s.Real("arch_learning_rate", &O::arch_learning_rate, RealRange::OpenClosed(0, 10),
         "Adam learning rate of the architecture parameters (betas 0, 0.999)");
  s.Real("arch_weight_decay", &O::arch_weight_decay, RealRange::ClosedOpen(0, 1),
         "weight decay of the architecture parameters");
  s.Integer("arch_update_every", &O::arch_update_every, IntRange::Between(1, 100000),
            "weight batches per architecture step (on a held-out batch)");
  s.Enum("grad_mode", &O::grad_mode,
         {{"full_v2", ProxylessGradMode::kFullV2}, {"two", ProxylessGradMode::kTwo}},
         "architecture gradient: full_v2 = every candidate, recomputed in backward; two = two "
         "sampled paths");
  s.Enum("loss", &O::loss,
         {{"add_linear", ProxylessLoss::kAddLinear},
          {"add_absolute", ProxylessLoss::kAddAbsolute},
          {"mul_log", ProxylessLoss::kMulLog}},
         "cost regulariser: add_linear = CE + lambda*(E[cost]-T)/T (ProxylessNAS; always "
         "rewards cheaper); add_absolute = CE + lambda*abs(E[cost]-T)/T (NNI's absolute penalty; "
         "pulls E[cost] to the target); mul_log = alpha*CE*(log E[cost]/log T)^beta (ProxylessNAS, "
         "latency in microseconds)");
  s.Enum("target_kind", &O::target_kind,
         {{"latency", ProxylessTarget::kLatency}, {"flops", ProxylessTarget::kFlops}},
         "what the regulariser targets: latency on `device` (target_ms) or FLOPs "
         "(target_mflops)");
  s.Real("target_ms", &O::target_ms, RealRange::ClosedOpen(0, 1e9),
         "latency target T in ms on `device` (required with target_kind latency)");
  s.Real("target_mflops", &O::target_mflops, RealRange::ClosedOpen(0, 1e9),
         "FLOPs target T in million multiply-accumulates (required with target_kind flops)");
  s.Real("lambda", &O::lambda, RealRange::Closed(0, 1000),
         "weight of the add_linear and add_absolute terms");
  s.Real("alpha", &O::alpha, RealRange::OpenClosed(0, 1000), "scale of the mul_log loss");
  s.Real("beta", &O::beta, RealRange::Closed(0, 100), "exponent of the mul_log cost ratio");
  s.Integer("search_images", &O::search_images, IntRange::AtLeast(0),
            "train images the warm-up and search epochs use (the first N of the shuffled train "
            "split, a proxy task); 0 = all. The retraining always uses the whole train split");
  s.Integer("retrain_epochs", &O::retrain_epochs, IntRange::Between(0, 10000),
            "training epochs of the derived network; 0 = train.epochs");
  s.Bool("fine_tune", &O::fine_tune,
         "start the derived network from the supernet's weights instead of from scratch");
  s.Bool("retrain_on_holdout", &O::retrain_on_holdout,
         "retrain the derived network on the held-out images too, which the search no longer "
         "needs (the retraining then reports no held-out accuracy)");
  s.Real("rebase_factor", &O::rebase_factor, RealRange::Closed(0, 10),
         "factor re-basing a measured device's (cpu, cuda) latency table to the machine's speed; "
         "0 = measured at the start of the run. Give a run's latency_rebase_factor to reproduce "
         "its search (docs/strategies/proxyless.md)");
  return s;
}

Schema<DdpgOptions> DdpgSchema() {
  using O = DdpgOptions;
  Schema<O> s;
  s.Integer("hidden", &O::hidden, IntRange::Between(1, 4096),
            "units of both hidden layers of the actor and the critic");
  s.Real("actor_learning_rate", &O::actor_learning_rate, RealRange::OpenClosed(0, 1),
         "Adam learning rate of the actor");
  s.Real("critic_learning_rate", &O::critic_learning_rate, RealRange::OpenClosed(0, 1),
         "Adam learning rate of the critic");
  s.Real("tau", &O::tau, RealRange::OpenClosed(0, 1),
         "soft target update: target = tau * network + (1 - tau) * target");
  s.Real("discount", &O::discount, RealRange::Closed(0, 1), "discount of the critic's target");
  s.Integer("batch_size", &O::batch_size, IntRange::Between(1, 65536),
            "transitions per policy update");
  s.Integer("replay_per_step", &O::replay_per_step, IntRange::Between(1, 1000000),
            "replay buffer capacity per step of an episode");
  s.Integer("warmup_episodes", &O::warmup_episodes, IntRange::Between(0, 1000000),
            "first episodes with uniform random actions and no policy updates");
  s.Real("initial_sigma", &O::initial_sigma, RealRange::Closed(0, 10),
         "exploration noise (truncated normal on [0, 1]) right after the warm-up");
  s.Real("sigma_decay", &O::sigma_decay, RealRange::OpenClosed(0, 1),
         "factor on the noise per episode after the warm-up");
  s.Real("baseline_alpha", &O::baseline_alpha, RealRange::Closed(0, 1),
         "weight of the newest batch in the moving-average reward baseline");
  return s;
}

// ---- AMC and HAQ: one schema and one check for the keys they share -----------------------------

// &CompressionOptions::episodes as a member of O, the section being declared.
template <typename O, typename V>
V O::*Shared(V CompressionOptions::*member) {
  return member;
}

// What the AMC and HAQ sections say differently about the keys they share.
struct CompressionKeyDocs {
  std::string source_run, weights, calibration_images, eval_images, finetune_epochs,
      compare_uniform, agent;
  int64_t max_calibration_images;
};

// A strategy's own keys, by where they stand among the shared ones (the order `hwnas config
// keys` and the canonical YAML print): after weights, episodes, calibration_images, eval_images.
template <typename O>
struct OwnCompressionKeys {
  Schema<O> budget, reward, calibration, scoring;
};

template <typename O>
Schema<O> CompressionSchema(const CompressionKeyDocs& docs, const OwnCompressionKeys<O>& own) {
  using C = CompressionOptions;
  Schema<O> s;
  s.String("source_run", Shared<O>(&C::source_run), StringRule::kAny, docs.source_run);
  s.String("weights", Shared<O>(&C::weights), StringRule::kAny, docs.weights);
  s.Append(own.budget);
  s.Integer("episodes", Shared<O>(&C::episodes), IntRange::Between(1, 1000000),
            "episodes of the search, the agent's warm-up episodes included");
  s.Append(own.reward);
  s.Integer("calibration_images", Shared<O>(&C::calibration_images),
            IntRange::Between(1, docs.max_calibration_images), docs.calibration_images);
  s.Append(own.calibration);
  s.Integer("eval_images", Shared<O>(&C::eval_images), IntRange::AtLeast(0), docs.eval_images);
  s.Append(own.scoring);
  s.Integer("finetune_epochs", Shared<O>(&C::finetune_epochs), IntRange::Between(0, 10000),
            docs.finetune_epochs);
  s.Real("finetune_learning_rate", Shared<O>(&C::finetune_learning_rate),
         RealRange::OpenClosed(0, 10),
         "initial SGD learning rate of the fine-tuning (cosine decay; momentum etc. from train)");
  s.Bool("compare_uniform", Shared<O>(&C::compare_uniform), docs.compare_uniform);
  s.Section("agent", Shared<O>(&C::agent), DdpgSchema(), docs.agent);
  return s;
}

Schema<AmcOptions> AmcSchema() {
  using O = AmcOptions;
  OwnCompressionKeys<O> own;
  own.budget
      .Enum("target_kind", &O::target_kind,
            {{"flops", AmcTarget::kFlops}, {"latency", AmcTarget::kLatency}},
            "the budget: flops = keep at most flops_ratio of the FLOPs; latency = at most "
            "target_ms on `device` (estimated from its latency table)")
      .Real("flops_ratio", &O::flops_ratio, RealRange::OpenClosed(0, 1),
            "share of the network's FLOPs the pruned network may keep (target_kind flops)")
      .Real("target_ms", &O::target_ms, RealRange::ClosedOpen(0, 1e9),
            "latency budget in ms on `device` (required with target_kind latency)")
      .Real("min_preserve", &O::min_preserve, RealRange::OpenClosed(0, 1),
            "lower bound of every channel group's preserve ratio (AMC: 0.2)")
      .Integer("channel_multiple", &O::channel_multiple, IntRange::Between(1, 256),
               "kept channel counts are rounded up to multiples of this");
  own.reward.Enum("reward", &O::reward,
                  {{"acc", AmcReward::kAcc}, {"acc_flops", AmcReward::kAccFlops}},
                  "episode reward: acc = held-out accuracy; acc_flops = -error * log(FLOPs)");
  own.calibration.Integer("points_per_image", &O::points_per_image, IntRange::Between(1, 10000),
                          "feature-map positions sampled per calibration image and layer");
  return CompressionSchema<O>(
      {"id or name of a finished train or search run whose final network and weights are "
       "pruned (instead of `net` with amc.weights)",
       "weights file of `net` (saved by hwnas train or search); a relative path is relative "
       "to the config file's directory",
       "training images whose feature maps the least-squares reconstruction samples",
       "held-out images that score an episode (without fine-tuning); 0 = all",
       "fine-tuning epochs of the exported network on the train split; 0 = none",
       "also prune every group by one ratio to the same budget, fine-tune it the same way, "
       "and store it as a baseline",
       "the DDPG agent (defaults: AMC's)", /*max_calibration_images=*/1000000},
      own);
}

Schema<HaqOptions> HaqSchema() {
  using O = HaqOptions;
  OwnCompressionKeys<O> own;
  own.budget
      .Enum("cost", &O::cost, {{"latency", HaqCost::kLatency}, {"size", HaqCost::kSize}},
            "what the budget counts: latency = cost on `device` (a model device such as "
            "bitserial-bismo, or an imported HAQ [layers, 8, 8] table); size = model size in "
            "bits")
      .Real("budget_ratio", &O::budget_ratio, RealRange::OpenClosed(0, 1),
            "budget as a share of the all-8-bit network's cost (when budget_bits is 0)")
      .Integer("budget_bits", &O::budget_bits, IntRange::Between(0, 8),
               "> 0: the budget is the cost of uniform N-bit weights and activations (first and "
               "last operators as pinned)")
      .Integer("min_bits", &O::min_bits, IntRange::Between(1, 8),
               "fewest bits of a weight or input")
      .Integer("max_bits", &O::max_bits, IntRange::Between(1, 8), "most bits of a weight or input")
      .Bool("pin_first_last", &O::pin_first_last,
            "keep the first and last quantizable operators at 8 bits");
  own.reward.Real("reward_scale", &O::reward_scale, RealRange::OpenClosed(0, 1000),
                  "lambda of the reward lambda x (quantized - full-precision held-out accuracy)");
  own.scoring
      .Integer("episode_finetune_batches", &O::episode_finetune_batches,
               IntRange::Between(0, 10000),
               "training batches (of data.batch_size, the same ones every episode) of fine-tuning "
               "inside each episode and before the finalists are re-scored; 0 = none")
      .Integer("finalists", &O::finalists, IntRange::Between(1, 1000),
               "the best distinct policies by episode reward, re-scored on the whole held-out "
               "split; the best of them is exported (an episode's score on eval_images is noisy)");
  return CompressionSchema<O>(
      {"id or name of a finished run whose final network and weights are quantized (instead "
       "of `net` with haq.weights)",
       "weights file of `net`; a relative path is relative to the config file's directory",
       "training images the activation clipping thresholds are calibrated on",
       "held-out images that score an episode; 0 = all",
       "fine-tuning epochs of the best policy's network (straight-through estimator)",
       "also fine-tune uniform budget_bits (else 4) bits the same way and store it as a "
       "baseline",
       "the DDPG agent (defaults: HAQ's)", /*max_calibration_images=*/100000},
      own);
}

Schema<EvolutionOptions> EvolutionSchema() {
  using O = EvolutionOptions;
  Schema<O> s;
  s.String("supernet_run", &O::supernet_run, StringRule::kAny,
           "id or name of a finished proxyless run whose trained supernet is specialized");
  s.StringList("targets", &O::targets, StringRule::kNonEmpty,
               "latency targets as DEVICE:MS (e.g. [\"cpu:0.8\", \"pixel1:20\"]); one network "
               "per target");
  s.Integer("accuracy_samples", &O::accuracy_samples, IntRange::Between(10, 100000),
            "random architectures scored with inherited weights to fit the accuracy predictor");
  s.Integer("eval_images", &O::eval_images, IntRange::AtLeast(0),
            "held-out images that score a sampled architecture; 0 = all");
  s.String("predictor", &O::predictor, StringRule::kNonEmpty,
           "accuracy predictor: ridge, gbt or ridge+gbt");
  s.Real("test_share", &O::test_share, RealRange::ClosedOpen(0, 1),
         "share of the samples held back to report the predictor's RMSE and Kendall tau");
  s.Integer("population", &O::population, IntRange::Between(4, 100000),
            "individuals per generation");
  s.Integer("generations", &O::generations, IntRange::Between(1, 100000),
            "generations of the evolutionary search");
  s.Real("parent_ratio", &O::parent_ratio, RealRange::OpenClosed(0, 1),
         "share of the population kept as parents");
  s.Real("mutation_ratio", &O::mutation_ratio, RealRange::Closed(0, 1),
         "share of the children made by mutation (the rest by crossover)");
  s.Real("mutate_prob", &O::mutate_prob, RealRange::OpenClosed(0, 1),
         "probability that a mutation re-draws a block's choice");
  s.Integer("finetune_epochs", &O::finetune_epochs, IntRange::Between(0, 10000),
            "> 0: train every specialized network this many epochs from inherited weights");
  s.Real("finetune_learning_rate", &O::finetune_learning_rate, RealRange::OpenClosed(0, 10),
         "initial SGD learning rate of that fine-tuning (cosine decay)");
  s.Bool("measure", &O::measure, "time every specialized network end to end on this CPU");
  return s;
}

Schema<PipelineOptions> PipelineSchema() {
  using O = PipelineOptions;
  Schema<O> s;
  s.StringList("stages", &O::stages, StringRule::kNonEmpty,
               "stages in this order, each optional: search (proxyless), retrain (train), prune "
               "(amc), quantize (haq), export; each runs as a child run on the previous stage's "
               "network");
  s.String("quantize_device", &O::quantize_device, StringRule::kAny,
           "device the quantize stage budgets on (a bit-cost model such as bitserial-bismo); "
           "empty = device.name");
  s.StringList("export_formats", &O::export_formats, StringRule::kNonEmpty,
               "files the export stage writes: onnx, torchscript");
  return s;
}

Schema<Config> ConfigSchema() {
  using O = Config;
  Schema<O> s;
  s.String("name", &O::name, StringRule::kAny,
           "run name in logs and the results store; empty = the config file name without "
           "extension");
  s.Choice("strategy", &O::strategy, StrategyNames(),
           "what to run: train = train the network given by `net`; proxyless = ProxylessNAS "
           "search of `space`, then train the derived network; amc = prune a trained network's "
           "channels with AMC, then fine-tune it; haq = choose a trained network's bit widths "
           "with HAQ, then fine-tune it; evolution = specialize a trained supernet to latency "
           "targets with an accuracy predictor; pipeline = search, retrain, prune, quantize and "
           "export as one resumable run of child runs",
           Presence::kRequired);
  s.Integer("seed", &O::seed, IntRange::AtLeast(0), "seeds every random number generator");
  s.Integer("threads", &O::threads, IntRange::Between(1, 256),
            "intra-op threads for training and data preparation");
  // Empty when the strategy does not use it (ConfigToYaml writes it so); CheckAcrossKeys
  // requires a non-empty value where the strategy does.
  s.String("net", &O::net, StringRule::kAny,
           "NetSpec YAML file of the network (required by strategy train); a relative path is "
           "relative to the config file's directory");
  s.String("space", &O::space, StringRule::kAny,
           "search space (required by strategy proxyless): a name in configs/spaces/ or a YAML "
           "file; a relative path is relative to the config file's directory");
  s.Section("data", &O::data, DataSchema(), "the dataset and how it is fed");
  s.Section("device", &O::device, DeviceSchema(), "where latency is measured or looked up");
  s.Section("train", &O::train, TrainSchema(), "training of a standalone network");
  s.Section("proxyless", &O::proxyless, ProxylessSchema(),
            "ProxylessNAS search (strategy proxyless)");
  s.Section("amc", &O::amc, AmcSchema(), "AMC channel pruning (strategy amc)");
  s.Section("haq", &O::haq, HaqSchema(), "HAQ mixed-precision quantization (strategy haq)");
  s.Section("evolution", &O::evolution, EvolutionSchema(),
            "predictor-driven specialization of a trained supernet (strategy evolution)");
  s.Section("pipeline", &O::pipeline, PipelineSchema(),
            "stages of a pipeline and what they are fed (strategy pipeline)");
  return s;
}

// ---- Loading ------------------------------------------------------------------------------------

// The rules of a compression section (`name` = amc or haq) that both strategies follow: the
// network is `net` with NAME.weights or the one of NAME.source_run, and the agent must have
// episodes left after its warm-up.
yaml::Mapping CheckCompressionKeys(const yaml::Mapping& root, const Config& config,
                                   const std::string& name, const CompressionOptions& o,
                                   bool fed_by_pipeline) {
  const yaml::Mapping section = root.Section(name);
  const std::string weights_key = name + ".weights";
  const bool from_run = !o.source_run.empty();
  const bool from_file = !config.net.empty() || !o.weights.empty();
  if (fed_by_pipeline) {
    if (from_run || !o.weights.empty())
      section.ReportError(from_run ? "source_run" : "weights",
                          "given, but the pipeline feeds this stage the previous stage's network "
                          "(expected it left out, or the stage first in pipeline.stages)");
  } else {
    if (from_run && from_file)
      section.ReportError("source_run", "given together with net/" + weights_key +
                                            " (expected either a run or a NetSpec file with its "
                                            "weights)");
    if (!from_run && !from_file)
      section.ReportError("source_run",
                          "missing (expected the id or name of a finished run, or "
                          "`net` with " +
                              weights_key + ": the trained network to " +
                              (name == "amc" ? "prune" : "quantize") + ")");
    if (!from_run && !config.net.empty() && o.weights.empty())
      section.ReportError("weights", "missing (expected the weights file of `net`)");
    if (!from_run && config.net.empty() && !o.weights.empty())
      root.ReportError("net",
                       "missing (expected the NetSpec YAML file " + weights_key + " belongs to)");
  }
  if (o.agent.warmup_episodes >= o.episodes)
    section.ReportError("episodes", "got " + std::to_string(o.episodes) +
                                        ", not more than the agent's warm-up (expected more "
                                        "than " +
                                        name + ".agent.warmup_episodes = " +
                                        std::to_string(o.agent.warmup_episodes) + ")");
  return section;
}

void CheckAmcKeys(const yaml::Mapping& root, const Config& config, bool fed_by_pipeline = false) {
  const AmcOptions& a = config.amc;
  const yaml::Mapping section = CheckCompressionKeys(root, config, "amc", a, fed_by_pipeline);
  if (a.target_kind == AmcTarget::kLatency && a.target_ms <= 0)
    section.ReportError("target_ms",
                        "required with target_kind latency (expected a latency budget in ms, > 0)");
}

void CheckHaqKeys(const yaml::Mapping& root, const Config& config, bool fed_by_pipeline = false) {
  const HaqOptions& h = config.haq;
  const yaml::Mapping section = CheckCompressionKeys(root, config, "haq", h, fed_by_pipeline);
  if (h.min_bits > h.max_bits)
    section.ReportError("min_bits", "above haq.max_bits (got " + std::to_string(h.min_bits) +
                                        " > " + std::to_string(h.max_bits) + ")");
  if (h.budget_bits > 0 && (h.budget_bits < h.min_bits || h.budget_bits > h.max_bits))
    section.ReportError("budget_bits", "outside haq.min_bits..haq.max_bits (got " +
                                           std::to_string(h.budget_bits) + "; expected " +
                                           std::to_string(h.min_bits) + ".." +
                                           std::to_string(h.max_bits) + ", or 0)");
}

// "DEVICE:MS" with a device name and a positive latency; the device itself is checked when the
// run starts (it may be an imported table).
void CheckEvolutionKeys(const yaml::Mapping& root, const Config& config) {
  const EvolutionOptions& e = config.evolution;
  const yaml::Mapping section = root.Section("evolution");
  if (e.supernet_run.empty())
    section.ReportError("supernet_run",
                        "required with strategy evolution (expected the id or "
                        "name of a finished proxyless run)");
  if (e.targets.empty())
    section.ReportError("targets",
                        "required with strategy evolution (expected a list of "
                        "DEVICE:MS, e.g. [\"cpu:0.8\"])");
  for (const std::string& t : e.targets) {
    const size_t colon = t.rfind(':');
    char* end = nullptr;
    const double ms = colon == std::string::npos ? 0 : std::strtod(t.c_str() + colon + 1, &end);
    if (colon == 0 || colon == std::string::npos || end == t.c_str() + colon + 1 || *end != '\0' ||
        !(ms > 0))
      section.ReportError("targets", "'" + t +
                                         "' is not a target (expected DEVICE:MS with a "
                                         "latency in ms > 0, e.g. \"cpu:0.8\")");
  }
  const std::vector<std::string> known = {"ridge", "gbt", "ridge+gbt"};
  if (std::find(known.begin(), known.end(), e.predictor) == known.end())
    section.ReportError("predictor", "unknown predictor (got '" + e.predictor +
                                         "'; expected ridge, gbt or ridge+gbt)");
}

// Folder datasets need a directory and an image size; the other datasets have a fixed shape.
void CheckDataKeys(const yaml::Mapping& root, const Config& config) {
  const DataOptions& d = config.data;
  const yaml::Mapping section = root.Section("data");
  if (d.channels == 2)
    section.ReportError("channels", "got 2 (expected 0 = from the images, 1 or 3)");
  if (d.dataset != DatasetKind::kFolder) {
    if (d.image_size != 0)
      section.ReportError("image_size", "only used with dataset folder (got " +
                                            std::to_string(d.image_size) + "; expected 0)");
    if (d.channels != 0)
      section.ReportError("channels", "only used with dataset folder (got " +
                                          std::to_string(d.channels) + "; expected 0)");
    return;
  }
  if (d.path.empty())
    section.ReportError("path",
                        "required with dataset folder (expected the directory holding "
                        "<class>/ folders, or train/ and test/ with <class>/ folders)");
  if (d.image_size == 0)
    section.ReportError("image_size",
                        "required with dataset folder (expected the side in pixels that "
                        "images are resized and centre-cropped to, e.g. 32)");
}

// `net` must name a NetSpec file for a strategy (or pipeline stage) that trains it.
void CheckNetKey(const yaml::Mapping& root, const Config& config, const std::string& who) {
  const std::string expected = "a path to a NetSpec YAML file; " + who +
                               " trains the network it "
                               "describes";
  if (root.Require("net", expected) && config.net.empty())
    root.ReportError("net", "empty string (got \"\"; expected " + expected + ")");
}

// A ProxylessNAS search needs a space and its target.
void CheckSearchKeys(const yaml::Mapping& root, const Config& config, const std::string& who) {
  const std::string expected = "a search space name or YAML file; " + who + " searches it";
  if (root.Require("space", expected) && config.space.empty())
    root.ReportError("space", "empty string (got \"\"; expected " + expected + ")");
  const ProxylessOptions& p = config.proxyless;
  const yaml::Mapping section = root.Section("proxyless");
  if (p.target_kind == ProxylessTarget::kLatency && p.target_ms <= 0)
    section.ReportError("target_ms",
                        "required with target_kind latency (expected a latency "
                        "target in ms, > 0)");
  if (p.target_kind == ProxylessTarget::kFlops && p.target_mflops <= 0)
    section.ReportError("target_mflops",
                        "required with target_kind flops (expected a target "
                        "in million multiply-accumulates, > 0)");
}

// Stages known, in pipeline order, not starting with export; each stage's own keys checked as
// its strategy checks them, except that only the first stage names where its network comes from.
void CheckPipelineKeys(const yaml::Mapping& root, const Config& config) {
  const yaml::Mapping section = root.Section("pipeline");
  const std::vector<std::string>& stages = config.pipeline.stages;
  const std::vector<std::string> order = {"search", "retrain", "prune", "quantize", "export"};
  size_t last = 0;
  for (size_t i = 0; i < stages.size(); ++i) {
    const auto at = std::find(order.begin(), order.end(), stages[i]);
    const size_t position = static_cast<size_t>(at - order.begin());
    if (at == order.end())
      section.ReportError("stages", "unknown stage '" + stages[i] +
                                        "' (expected search, retrain, prune, quantize or export)");
    else if (i > 0 && position <= last)
      section.ReportError("stages", "'" + stages[i] + "' after '" + stages[i - 1] +
                                        "' (expected the order search, retrain, prune, "
                                        "quantize, export, each at most once)");
    else
      last = position;
  }
  if (stages.empty() || stages[0] == "export")
    section.ReportError("stages",
                        "nothing to export (expected search, retrain, prune or quantize "
                        "before export)");
  const auto has = [&stages](const char* stage) {
    return std::find(stages.begin(), stages.end(), stage) != stages.end();
  };
  if (has("search")) CheckSearchKeys(root, config, "pipeline stage search");
  if (!stages.empty() && stages[0] == "retrain")
    CheckNetKey(root, config, "pipeline stage retrain");
  if (has("prune")) CheckAmcKeys(root, config, stages[0] != "prune");
  if (has("quantize")) CheckHaqKeys(root, config, stages[0] != "quantize");
  for (const std::string& format : config.pipeline.export_formats)
    if (format != "onnx" && format != "torchscript")
      section.ReportError("export_formats",
                          "unknown format '" + format + "' (expected onnx or torchscript)");
}

// Rules that involve more than one key.
void CheckAcrossKeys(const yaml::Mapping& root, const Config& config) {
  CheckDataKeys(root, config);
  const StrategyInfo* strategy = FindStrategy(config.strategy);
  if (strategy != nullptr && strategy->needs_net)
    CheckNetKey(root, config, "strategy " + config.strategy);
  if (strategy != nullptr && strategy->needs_space)
    CheckSearchKeys(root, config, "strategy " + config.strategy);
  if (config.strategy == "amc") CheckAmcKeys(root, config);
  if (config.strategy == "haq") CheckHaqKeys(root, config);
  if (config.strategy == "evolution") CheckEvolutionKeys(root, config);
  if (config.strategy == "pipeline") CheckPipelineKeys(root, config);
}

// A space that names an existing file next to the config is that file; anything else stays as
// written and is resolved like `hwnas latency --space` when the run starts.
void ResolveSpace(Config* config) {
  if (config->space.empty()) return;
  fs::path space(config->space);
  if (!space.is_relative()) return;
  const fs::path beside = fs::path(config->source_path).parent_path() / space;
  std::error_code error;
  if (fs::is_regular_file(beside, error))
    config->space = fs::absolute(beside, error).lexically_normal().string();
}

// A relative path is relative to the config file's directory and is stored absolute.
std::string ResolveBesideConfig(const Config& config, const std::string& path) {
  if (path.empty()) return path;
  fs::path p(path);
  if (p.is_relative()) p = fs::path(config.source_path).parent_path() / p;
  std::error_code error;
  fs::path absolute = fs::absolute(p, error);
  return (error ? p : absolute).lexically_normal().string();
}

void ResolvePaths(Config* config) {
  if (config->name.empty()) config->name = fs::path(config->source_path).stem().string();
  ResolveSpace(config);
  config->amc.weights = ResolveBesideConfig(*config, config->amc.weights);
  config->haq.weights = ResolveBesideConfig(*config, config->haq.weights);
  config->net = ResolveBesideConfig(*config, config->net);
}

Config ReadConfig(yaml::Document doc, const std::vector<std::string>& overrides) {
  doc.ApplyOverrides(overrides);
  Config config;
  config.source_path = doc.display_name();
  config.strategy.clear();  // stays empty unless a valid strategy is read
  if (auto root = doc.Root()) {
    ConfigSchema().Read(*root, &config);
    CheckAcrossKeys(*root, config);
  }
  doc.ThrowIfErrors();
  ResolvePaths(&config);
  return config;
}

}  // namespace

Config LoadConfig(const std::string& path, const std::vector<std::string>& overrides) {
  return ReadConfig(yaml::Document::FromFile(path), overrides);
}

Config LoadConfigFromString(const std::string& text, const std::string& display_name,
                            const std::vector<std::string>& overrides) {
  return ReadConfig(yaml::Document::FromString(text, display_name), overrides);
}

void ThrowAt(const Config& config, const std::string& key, const std::string& message) {
  throw ConfigError({{config.source_path, 0, 0, "", key, message}});
}

std::string ConfigToYaml(const Config& config) {
  YAML::Emitter out;
  ConfigSchema().Write(config, out);
  return std::string(out.c_str()) + "\n";
}

namespace {

// Dotted key -> scalar text of a config's canonical YAML, in document order.
void Flatten(const YAML::Node& node, const std::string& prefix,
             std::vector<std::pair<std::string, std::string>>* out) {
  if (node.IsMap()) {
    for (const auto& item : node)
      Flatten(item.second, prefix + (prefix.empty() ? "" : ".") + item.first.Scalar(), out);
  } else {
    YAML::Emitter text;
    text << YAML::Flow << node;
    out->emplace_back(prefix, text.c_str());
  }
}

}  // namespace

std::vector<std::string> ConfigDifferences(const Config& a, const Config& b) {
  std::vector<std::pair<std::string, std::string>> flat_a, flat_b;
  Flatten(YAML::Load(ConfigToYaml(a)), "", &flat_a);
  Flatten(YAML::Load(ConfigToYaml(b)), "", &flat_b);
  std::vector<std::string> differences;
  for (const auto& [key, value] : flat_a) {
    auto match = std::find_if(flat_b.begin(), flat_b.end(),
                              [&key = key](const auto& item) { return item.first == key; });
    const std::string other = match == flat_b.end() ? "(absent)" : match->second;
    if (other != value) differences.push_back(key + ": " + value + " -> " + other);
  }
  return differences;
}

std::string ConfigsDir() {
  const char* env = std::getenv("HWNAS_CONFIGS");
  return env != nullptr && *env != '\0' ? env : HWNAS_CONFIGS_DIR;
}

SearchSpace LoadSpace(const std::string& name_or_path) {
  return LoadSearchSpaceFile(ResolveSpacePath(name_or_path, ConfigsDir()));
}

std::string DatasetName(DatasetKind kind) {
  for (const auto& [name, value] : DatasetNames()) {
    if (value == kind) return name;
  }
  return "unknown";
}

std::vector<ConfigKeyDoc> DescribeConfigKeys() {
  std::vector<yaml::KeyDoc> rows;
  ConfigSchema().Describe(Config{}, "", &rows);
  std::vector<ConfigKeyDoc> docs;
  for (const auto& row : rows) {
    docs.push_back({row.key, row.type, row.default_value, row.doc, row.required});
  }
  return docs;
}

}  // namespace hwnas
