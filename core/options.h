// Typed options for every part of hwnas, with their defaults. core/config.cpp is the only place
// that fills them from YAML; everything else receives these plain structs. When you add a field,
// add it to the schema in core/config.cpp (parse, print, docs) in the same change.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hwnas {

enum class DatasetKind { kFashionMnist, kCifar10, kSynthetic, kFolder, kCifar100 };
enum class Cifar100Labels { kFine, kCoarse };

// A deterministic dataset with class-dependent patterns that a small network learns quickly.
struct SyntheticOptions {
  int64_t train_samples = 2048;
  int64_t test_samples = 512;
  int64_t image_size = 16;  // square images
  int64_t channels = 1;
  int64_t classes = 4;
  double noise = 0.25;  // standard deviation of the additive pixel noise, pixels in [0, 1]
};

struct AugmentOptions {
  int64_t crop_padding = 2;     // random crop after zero padding by this many pixels; 0 = off
  bool horizontal_flip = true;  // random horizontal flip (off for digits, on for clothes)
  double random_erasing = 0;    // probability of erasing a random rectangle (Zhong et al. 2017)
};

struct DataOptions {
  DatasetKind dataset = DatasetKind::kFashionMnist;
  std::string path;               // empty = the dataset's default location
  double holdout_fraction = 0.1;  // share of the train set held out for architecture decisions
  int64_t train_limit = 0;        // use only the first N training images (after shuffling); 0 = all
  int64_t test_limit = 0;         // evaluate on the first N test images; 0 = all
  int64_t batch_size = 128;
  int64_t prefetch_batches = 4;  // batches prepared ahead of the trainer
  AugmentOptions augment;
  SyntheticOptions synthetic;
  // Image folders (dataset folder, docs/datasets.md): decoded once into a cache, then mapped.
  int64_t image_size = 0;  // side of the square images after resize + centre crop; required
  int64_t channels = 0;    // 1 gray, 3 RGB, 0 = from the images (all gray -> 1, all colour -> 3)
  double test_fraction = 0.2;    // one tree DIR/<class>/: share of each class held out as test set
  bool skip_bad_images = false;  // leave out (and list) files that cannot be decoded
  std::string cache_dir;         // empty = $XDG_CACHE_HOME/hwnas, else ~/.cache/hwnas
  Cifar100Labels cifar100_labels = Cifar100Labels::kFine;  // 100 fine or 20 coarse classes
};

// Where latency is measured or looked up.
struct DeviceOptions {
  std::string name = "cpu";
  int64_t threads = 1;  // intra-op threads while measuring latency
  int64_t batch = 1;    // batch size of latency measurements
};

// Training of a standalone network (baselines, retraining, fine-tuning).
struct TrainOptions {
  int64_t epochs = 2;
  double learning_rate = 0.05;
  double momentum = 0.9;
  double weight_decay = 4e-5;
  double label_smoothing = 0.1;
  bool channels_last = true;  // channels-last memory format for convolutions on CPU
};

// ProxylessNAS: warm-up, then joint weight/architecture training of a supernet, then the
// derived network is retrained (or fine-tuned). Weights use `train` (learning rate, momentum,
// label smoothing); the architecture uses Adam with beta1 = 0 on held-out batches.
enum class ProxylessGradMode { kFullV2, kTwo };
enum class ProxylessLoss { kAddLinear, kAddAbsolute, kMulLog };
enum class ProxylessTarget { kLatency, kFlops };
// Warm-up paths: one uniform path per step, or the sandwich rule of BigNAS and Once-for-All (the
// largest and smallest paths by candidate cost and a uniform one, gradients summed).
enum class WarmupPaths { kUniform, kSandwich };

struct ProxylessOptions {
  int64_t warmup_epochs = 1;  // weights only, on uniformly sampled paths (and see warmup_paths)
  WarmupPaths warmup_paths = WarmupPaths::kUniform;
  int64_t epochs = 3;  // joint search epochs
  double arch_learning_rate = 6e-3;
  double arch_weight_decay = 0;
  int64_t arch_update_every = 5;  // weight batches per architecture step
  ProxylessGradMode grad_mode = ProxylessGradMode::kFullV2;
  ProxylessLoss loss = ProxylessLoss::kMulLog;
  ProxylessTarget target_kind = ProxylessTarget::kLatency;
  double target_ms = 0;      // latency target on `device`; required with target_kind latency
  double target_mflops = 0;  // required with target_kind flops (million multiply-accumulates)
  double lambda = 0.1;  // add_linear: CE + lambda * (E[cost] - T) / T; add_absolute: |E - T| / T
  double alpha = 0.2;   // mul_log: alpha * CE * (log E[cost] / log T)^beta
  double beta = 0.6;
  int64_t search_images = 0;        // train images of the warm-up and search epochs; 0 = all
  int64_t retrain_epochs = 0;       // training epochs of the derived network; 0 = train.epochs
  bool fine_tune = false;           // start from the supernet's weights instead of from scratch
  bool retrain_on_holdout = false;  // the retraining trains on the held-out images too
  // The factor that re-bases a measured device's table to the machine's speed at the start; 0 =
  // measured then. A measured factor differs from run to run, and with it the search: pinning
  // it to a run's factor (its metric latency_rebase_factor) reproduces that run's search.
  double rebase_factor = 0;
};

// The DDPG agent AMC and HAQ share (search/rl). Defaults are AMC's (amc_search.py); HAQ's
// section overrides warmup (20), noise decay (0.99) and the replay size (128 per layer).
struct DdpgOptions {
  int64_t hidden = 300;  // units of both hidden layers of actor and critic
  double actor_learning_rate = 1e-4;
  double critic_learning_rate = 1e-3;
  double tau = 0.01;  // soft target update: target = tau * net + (1 - tau) * target
  double discount = 1.0;
  int64_t batch_size = 64;
  int64_t replay_per_step = 100;  // replay capacity = this x steps per episode
  int64_t warmup_episodes = 100;  // uniform random actions, no updates
  double initial_sigma = 0.5;     // exploration noise after the warm-up ...
  double sigma_decay = 0.95;      // ... times this per episode
  double baseline_alpha = 0.5;    // moving average of rewards subtracted in every update
  uint64_t seed = 1;              // set from the config's seed
};

// What AMC and HAQ share: the trained network they compress (`net` with SECTION.weights, or the
// final network of run SECTION.source_run), the episodes of their DDPG search, and the
// fine-tuning of the exported network. Each strategy's section sets its own defaults (the
// constructor arguments) and adds its own keys; core/config.cpp reads and checks the shared keys
// once for both sections.
struct CompressionOptions {
  std::string source_run;       // id or name of a finished train/search run
  std::string weights;          // weights file of `net` (instead of source_run)
  int64_t episodes;             // including the agent's warm-up episodes
  int64_t calibration_images;   // training images: reconstruction (AMC), activation clips (HAQ)
  int64_t eval_images;          // held-out images that score an episode; 0 = all
  int64_t finetune_epochs = 1;  // of the exported network; 0 = none
  double finetune_learning_rate;
  bool compare_uniform = false;  // also export a uniform policy to the same budget as a baseline
  DdpgOptions agent;

 protected:
  CompressionOptions(int64_t default_episodes, int64_t default_calibration_images,
                     int64_t default_eval_images, double default_finetune_learning_rate,
                     DdpgOptions default_agent)
      : episodes(default_episodes),
        calibration_images(default_calibration_images),
        eval_images(default_eval_images),
        finetune_learning_rate(default_finetune_learning_rate),
        agent(default_agent) {}
};

// AMC channel pruning (He et al., 2018) of a trained network: a preserve ratio per channel group
// under a FLOPs or latency budget.
enum class AmcTarget { kFlops, kLatency };
enum class AmcReward { kAcc, kAccFlops };

struct AmcOptions : CompressionOptions {
  AmcOptions()
      : CompressionOptions(/*episodes=*/400, /*calibration_images=*/3000, /*eval_images=*/3000,
                           /*finetune_learning_rate=*/0.01, DdpgOptions{}) {}

  AmcTarget target_kind = AmcTarget::kFlops;
  double flops_ratio = 0.5;      // keep at most this share of the network's FLOPs
  double target_ms = 0;          // latency target on `device` (target_kind latency)
  double min_preserve = 0.2;     // lower bound of every channel group's preserve ratio
  int64_t channel_multiple = 8;  // kept channel counts are multiples of this
  AmcReward reward = AmcReward::kAcc;
  int64_t points_per_image = 10;  // feature-map positions sampled per image and layer
};

// HAQ's agent (rl_quantize.py): AMC's but warm-up 20, noise decay 0.99, replay 128 per step.
inline DdpgOptions HaqAgentDefaults() {
  DdpgOptions o;
  o.replay_per_step = 128;
  o.warmup_episodes = 20;
  o.sigma_decay = 0.99;
  return o;
}

// HAQ mixed precision (Wang et al., 2019) of a trained network: a weight and an activation bit
// width per quantizable operator under a latency, energy or model-size budget.
enum class HaqCost { kLatency, kSize };

struct HaqOptions : CompressionOptions {
  HaqOptions()
      : CompressionOptions(/*episodes=*/300, /*calibration_images=*/256, /*eval_images=*/2000,
                           /*finetune_learning_rate=*/0.005, HaqAgentDefaults()) {}

  HaqCost cost = HaqCost::kLatency;  // latency (or energy): from `device`; size: model bits
  double budget_ratio = 0.6;         // of the all-8-bit cost (when budget_bits is 0)
  int64_t budget_bits = 0;           // > 0: the budget is the cost of uniform N-bit
  int64_t min_bits = 2;
  int64_t max_bits = 8;
  bool pin_first_last = true;            // first and last operators at 8 bits
  double reward_scale = 0.1;             // lambda of lambda x (quantized - full-precision accuracy)
  int64_t episode_finetune_batches = 0;  // short fine-tuning per episode (training batches)
  int64_t finalists = 5;  // best distinct policies re-scored on the whole held-out split
};

// Once-for-All style specialization (strategy evolution): an accuracy predictor fitted on
// architectures of a trained supernet (inherited weights, held-out split), then an evolutionary
// search per (device, latency target) on it and each device's latency estimate.
struct EvolutionOptions {
  std::string supernet_run;          // id or name of a finished proxyless run
  std::vector<std::string> targets;  // "DEVICE:MS", e.g. "cpu:0.8"
  int64_t accuracy_samples = 200;    // architectures scored with inherited weights
  int64_t eval_images = 2000;        // held-out images per sample; 0 = all
  std::string predictor = "ridge";   // ridge, gbt or ridge+gbt
  double test_share = 0.2;           // of the samples, kept to report the predictor's error
  int64_t population = 100;
  int64_t generations = 50;
  double parent_ratio = 0.25;
  double mutation_ratio = 0.5;  // of each new generation; the rest comes from crossover
  double mutate_prob = 0.1;     // per block
  int64_t finetune_epochs = 0;  // > 0: train each specialized network from inherited weights
  double finetune_learning_rate = 0.01;
  bool measure = true;  // time each specialized network end to end on this CPU
};

// Search, retrain, prune, quantize and export as one run (strategy pipeline). Each stage is a
// child run of the strategy that does it (proxyless, train, amc, haq; export writes files),
// configured by that strategy's section and fed the previous stage's network.
struct PipelineOptions {
  std::vector<std::string> stages = {"search", "retrain", "prune", "quantize", "export"};
  std::string quantize_device;  // device of the quantize stage (a bit-cost model); "" = device
  std::vector<std::string> export_formats = {"onnx", "torchscript"};
};

// One resolved configuration: a file plus its overrides, validated.
struct Config {
  std::string source_path;  // the YAML file it came from
  std::string name;         // run name; empty = derived from the file name
  std::string strategy = "train";
  uint64_t seed = 1;
  int64_t threads = 2;  // intra-op threads for training and data preparation
  std::string net;      // NetSpec YAML path (strategy train), relative to the config file
  std::string space;    // search space name (configs/spaces/) or YAML path (strategy proxyless)
  DataOptions data;
  DeviceOptions device;
  TrainOptions train;
  ProxylessOptions proxyless;
  AmcOptions amc;
  HaqOptions haq;
  EvolutionOptions evolution;
  PipelineOptions pipeline;
};

}  // namespace hwnas
