// Image datasets in memory: the Fashion-MNIST (gzip IDX) and CIFAR-10/100 (binary) readers, the
// deterministic synthetic dataset, image folders (core/image_folder.h), and the seeded split of a
// train set into a weight-training part and a held-out part. Pixels stay compact as uint8,
// channels last (N x H x W x C).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/options.h"
#include "core/reporter.h"
#include "core/search_space.h"

namespace hwnas {

inline constexpr char kFashionMnistDefaultDir[] = "/usr/share/datasets/fashion-mnist";
inline constexpr char kFashionMnistPackage[] = "dataset-fashion-mnist";

struct Dataset {
  std::string name;  // e.g. "fashion-mnist/train"
  int64_t channels = 0;
  int64_t height = 0;
  int64_t width = 0;
  int64_t num_classes = 0;
  std::vector<std::string> class_names;  // num_classes names, label order
  std::vector<uint8_t> pixels;           // size() x height x width x channels, channels last
  std::vector<int64_t> labels;           // in [0, num_classes)
  // Per-channel normalisation in [0, 1] pixel units: x = (pixel / 255 - mean) / stddev.
  // Always the statistics of the dataset's train set, also for holdout and test.
  std::vector<float> mean;
  std::vector<float> stddev;
  // Image files left out because they could not be decoded (data.skip_bad_images).
  std::vector<std::string> skipped_files;

  int64_t size() const { return static_cast<int64_t>(labels.size()); }
  int64_t image_bytes() const { return height * width * channels; }
  const uint8_t* image(int64_t i) const { return pixels.data() + i * image_bytes(); }
};

enum class DataPart { kTrain, kTest };

// Throws std::invalid_argument if sizes of pixels, mean or stddev disagree with the shape, or a
// stddev is not positive. Labels are not scanned here.
void CheckDatasetLayout(const Dataset& data);

struct ChannelStats {
  std::vector<float> mean;
  std::vector<float> stddev;
};
// Per-channel mean and standard deviation of the pixels in [0, 1] units (stddev 1 if constant).
ChannelStats ComputeChannelStats(const Dataset& data);
// The same from per-channel histograms: histogram[c][v] pixels of value v in channel c.
ChannelStats ChannelStatsFromHistogram(const std::vector<std::vector<int64_t>>& histogram);

// Reads {train,t10k}-{images-idx3,labels-idx1}-ubyte.gz from `dir` (empty = the Debian package
// location; uncompressed files without .gz are accepted too). Throws DataError naming the file.
Dataset LoadFashionMnist(const std::string& dir, DataPart part);

// Reads data_batch_1..5.bin (train) or test_batch.bin (test) of the CIFAR-10 binary version
// from `dir`; there is no default location. Throws DataError naming the file.
Dataset LoadCifar10(const std::string& dir, DataPart part);

// Reads train.bin or test.bin of the CIFAR-100 binary version from `dir` (records: coarse label,
// fine label, 3072 pixel bytes as R, G, B planes); `labels` picks the 100 fine or 20 coarse
// classes, named from fine_label_names.txt / coarse_label_names.txt in `dir` when present, else
// "class<N>". There is no default location. Throws DataError naming the file.
Dataset LoadCifar100(const std::string& dir, DataPart part, Cifar100Labels labels);

// Class-dependent oriented stripes under a Gaussian blob at a random offset and phase, plus
// Gaussian pixel noise. Labels are i % classes, so every prefix is balanced. The train and test
// draws use different seed streams; the same seed gives identical bytes.
Dataset MakeSyntheticDataset(const SyntheticOptions& options, uint64_t seed, DataPart part);

// One part of the dataset `options` names (seed only matters for the synthetic dataset).
Dataset LoadDataset(const DataOptions& options, DataPart part, uint64_t seed);

// Splits `order` (indices into `labels`) into kept and held-out indices, keeping order: of each
// class, round(count x fraction) held out, the rounding spread so that round(n x fraction) are
// held out in all; at least one sample is kept.
void SplitByClass(const std::vector<int64_t>& labels, int64_t num_classes,
                  const std::vector<int64_t>& order, double fraction, std::vector<int64_t>* kept,
                  std::vector<int64_t>* held_out);

// The samples `indices` of `data`, in that order, under a new name.
Dataset Subset(const Dataset& data, const std::vector<int64_t>& indices, std::string name);

struct DataSplits {
  Dataset train;    // weight training
  Dataset holdout;  // architecture / policy decisions
  Dataset test;     // final reporting only
};

// Loads the train set, shuffles it by `seed`, keeps the first train_limit images (0 = all) and
// holds out holdout_fraction of them, stratified by class; the test set keeps its file order,
// cut to test_limit. All three share the train set's normalisation. Same seed -> same split.
DataSplits LoadDataSplits(const DataOptions& options, uint64_t seed);

// What a run stores about its data (results show, export, predict): the train split's shape,
// class names and normalisation, and the image files left out of train and test.
DatasetRecord DescribeData(const DataSplits& splits, const DataOptions& options);

// `space` with the input size, channels and classes of `data`, so one space file serves any
// dataset (its own `input` and `classes` are what it was designed for, and what `latency build
// --space` measures). ConfigError at `space` for images that are not square.
SearchSpace FitSpaceToData(SearchSpace space, const Dataset& data, const std::string& config_path);

// Throws ConfigError at `key` (e.g. "net", "space") when a network taking size x size x channels
// images into `classes` classes cannot run on `data`; `what` names it ("network 'fmnist-cnn'").
void CheckFitsData(const std::string& what, int64_t size, int64_t channels, int64_t classes,
                   const Dataset& data, const std::string& config_path, const std::string& key);

}  // namespace hwnas
