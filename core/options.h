// Typed options for every part of hwnas, with their defaults. core/config.cpp is the only place
// that fills them from YAML; everything else receives these plain structs. When you add a field,
// add it to the schema in core/config.cpp (parse, print, docs) in the same change.
#pragma once

#include <cstdint>
#include <string>

namespace hwnas {

enum class DatasetKind { kFashionMnist, kCifar10, kSynthetic };

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

// One resolved configuration: a file plus its overrides, validated.
struct Config {
  std::string source_path;  // the YAML file it came from
  std::string name;         // run name; empty = derived from the file name
  std::string strategy = "train";
  uint64_t seed = 1;
  int64_t threads = 2;  // intra-op threads for training and data preparation
  std::string net;      // NetSpec YAML path (strategy train), relative to the config file
  DataOptions data;
  DeviceOptions device;
  TrainOptions train;
};

}  // namespace hwnas
