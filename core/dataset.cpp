#include "core/dataset.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <stdexcept>

#include "core/errors.h"
#include "core/image_folder.h"
#include "core/rng.h"

namespace hwnas {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kIdxImagesMagic = 2051;
constexpr uint32_t kIdxLabelsMagic = 2049;
constexpr int64_t kFashionSide = 28;
constexpr int64_t kTenClasses = 10;
constexpr int64_t kCifarSide = 32;
constexpr int64_t kCifarPlane = kCifarSide * kCifarSide;
constexpr double kPi = 3.14159265358979323846;

std::string FashionHint() {
  return std::string("(install the Debian package ") + kFashionMnistPackage + ", or set data.path)";
}

std::string CifarHint() {
  return "(set data.path to the directory of the CIFAR-10 binary version: data_batch_1.bin .. "
         "data_batch_5.bin, test_batch.bin)";
}

std::string JoinPath(const std::string& dir, const std::string& file) {
  return (fs::path(dir) / file).string();
}

// A gzip file (or, transparently, an uncompressed one) that throws DataError on failure.
class GzFile {
 public:
  explicit GzFile(const std::string& path) : path_(path) {
    errno = 0;
    file_ = gzopen(path.c_str(), "rb");
    if (file_ == nullptr) {
      int error = errno != 0 ? errno : ENOENT;
      throw DataError("cannot open " + path + ": " + std::strerror(error) + " " + FashionHint());
    }
    gzbuffer(file_, 1 << 17);
  }
  ~GzFile() { gzclose(file_); }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;

  // Reads up to `n` bytes; fewer only at the end of the data.
  size_t Read(uint8_t* out, size_t n) {
    int got = gzread(file_, out, static_cast<unsigned>(n));
    if (got < 0) {
      int code = 0;
      std::string message = gzerror(file_, &code);
      if (message.rfind(path_ + ": ", 0) == 0) message.erase(0, path_.size() + 2);  // zlib adds it
      throw DataError(path_ + ": cannot decompress: " + message +
                      " (the file is truncated or corrupt)");
    }
    return static_cast<size_t>(got);
  }

  // After the expected data: nothing may follow, and the stream must have ended properly (zlib
  // reports a missing gzip trailer only as a soft error after the data is read).
  void ExpectEnd(const std::string& what) {
    uint8_t extra = 0;
    if (Read(&extra, 1) > 0) {
      throw DataError(path_ + ": unexpected data after " + what +
                      " (the count in the header does not match the file)");
    }
    int code = Z_OK;
    gzerror(file_, &code);
    if (code == Z_BUF_ERROR) {
      throw DataError(path_ + ": truncated: the gzip stream ends before its trailer");
    }
  }

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  gzFile file_ = nullptr;
};

uint32_t BigEndian32(const uint8_t* bytes) {
  return (uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) | (uint32_t{bytes[2]} << 8) |
         uint32_t{bytes[3]};
}

// The IDX header: magic, then `dims` big-endian sizes.
std::vector<uint32_t> ReadIdxHeader(GzFile& file, uint32_t magic, int dims, const char* what) {
  size_t header_bytes = 4 * (1 + static_cast<size_t>(dims));
  std::vector<uint8_t> header(header_bytes);
  size_t got = file.Read(header.data(), header_bytes);
  if (got < header_bytes) {
    throw DataError(file.path() + ": truncated: expected a " + std::to_string(header_bytes) +
                    "-byte IDX header, found " + std::to_string(got) + " bytes");
  }
  uint32_t found = BigEndian32(header.data());
  if (found != magic) {
    throw DataError(file.path() + ": bad magic number " + std::to_string(found) + ", expected " +
                    std::to_string(magic) + " (IDX " + what + " of unsigned bytes)");
  }
  std::vector<uint32_t> sizes;
  for (int d = 0; d < dims; ++d) sizes.push_back(BigEndian32(header.data() + 4 * (d + 1)));
  return sizes;
}

// Exactly `expected` bytes follow the header. Reads in chunks so that a corrupt count in the
// header cannot trigger a huge allocation before the truncation is noticed.
std::vector<uint8_t> ReadIdxBody(GzFile& file, uint64_t expected, const std::string& what) {
  constexpr size_t kChunk = size_t{1} << 20;
  std::vector<uint8_t> data;
  data.reserve(std::min<uint64_t>(expected, uint64_t{1} << 26));
  while (data.size() < expected) {
    size_t want = std::min<uint64_t>(kChunk, expected - data.size());
    size_t old = data.size();
    data.resize(old + want);
    size_t got = file.Read(data.data() + old, want);
    data.resize(old + got);
    if (got < want) break;
  }
  if (data.size() < expected) {
    throw DataError(file.path() + ": truncated: expected " + std::to_string(expected) +
                    " bytes of " + what + " after the header, found " +
                    std::to_string(data.size()));
  }
  file.ExpectEnd(what);
  return data;
}

std::string ResolveIdxPath(const std::string& dir, const std::string& base) {
  std::string gz = JoinPath(dir, base + ".gz");
  std::string plain = JoinPath(dir, base);
  std::error_code error;
  if (!fs::exists(gz, error) && fs::exists(plain, error)) return plain;
  return gz;  // also when neither exists, so the error names the packaged file
}

std::vector<uint8_t> ReadIdxImages(const std::string& path, int64_t* count) {
  GzFile file(path);
  std::vector<uint32_t> sizes = ReadIdxHeader(file, kIdxImagesMagic, 3, "images");
  if (sizes[1] != kFashionSide || sizes[2] != kFashionSide) {
    throw DataError(path + ": images are " + std::to_string(sizes[1]) + "x" +
                    std::to_string(sizes[2]) + ", expected 28x28");
  }
  *count = sizes[0];
  std::string what = std::to_string(sizes[0]) + " images of 28x28";
  return ReadIdxBody(file, uint64_t{sizes[0]} * kFashionSide * kFashionSide, what);
}

std::vector<int64_t> ReadIdxLabels(const std::string& path) {
  GzFile file(path);
  std::vector<uint32_t> sizes = ReadIdxHeader(file, kIdxLabelsMagic, 1, "labels");
  std::vector<uint8_t> bytes = ReadIdxBody(file, sizes[0], std::to_string(sizes[0]) + " labels");
  std::vector<int64_t> labels(bytes.begin(), bytes.end());
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] >= kTenClasses) {
      throw DataError(path + ": label " + std::to_string(labels[i]) + " at index " +
                      std::to_string(i) + " is out of range, expected 0..9");
    }
  }
  return labels;
}

// Whole file; DataError naming the path if it cannot be read.
std::vector<uint8_t> ReadBinaryFile(const std::string& path, const std::string& hint) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    throw DataError("cannot open " + path + ": " + std::strerror(errno ? errno : ENOENT) + " " +
                    hint);
  }
  std::streamsize size = in.tellg();
  std::vector<uint8_t> bytes(static_cast<size_t>(std::max<std::streamsize>(size, 0)));
  in.seekg(0);
  if (size < 0 || !in.read(reinterpret_cast<char*>(bytes.data()), size)) {
    throw DataError("cannot read " + path + " " + hint);
  }
  return bytes;
}

// A CIFAR binary version: records of `label_bytes` label bytes, then R, G, B planes; the label
// used is byte `label_index` (CIFAR-100: 0 coarse, 1 fine).
struct CifarFormat {
  std::string name;  // "CIFAR-10"
  std::string hint;
  int64_t label_bytes = 1;
  int64_t label_index = 0;
  int64_t classes = kTenClasses;
};

// Appends one CIFAR binary file, converting each record from CHW planes to HWC.
void AppendCifarFile(const std::string& path, const CifarFormat& format, Dataset* data) {
  std::vector<uint8_t> bytes = ReadBinaryFile(path, format.hint);
  const int64_t record_bytes = format.label_bytes + 3 * kCifarPlane;
  if (bytes.empty() || bytes.size() % record_bytes != 0) {
    const std::string labels = format.label_bytes == 1 ? "1 label byte" : "2 label bytes";
    throw DataError(path + ": size " + std::to_string(bytes.size()) +
                    " bytes is not a positive multiple of " + std::to_string(record_bytes) + " (" +
                    labels + " + 3072 pixel bytes per record); the file is truncated or not the " +
                    format.name + " binary version");
  }
  int64_t records = static_cast<int64_t>(bytes.size()) / record_bytes;
  size_t base = data->pixels.size();
  data->pixels.resize(base + records * 3 * kCifarPlane);
  for (int64_t r = 0; r < records; ++r) {
    const uint8_t* record = bytes.data() + r * record_bytes;
    const int64_t label = record[format.label_index];
    if (label >= format.classes) {
      throw DataError(path + ": record " + std::to_string(r) + " has label " +
                      std::to_string(label) + ", expected 0.." +
                      std::to_string(format.classes - 1));
    }
    data->labels.push_back(label);
    const uint8_t* planes = record + format.label_bytes;
    uint8_t* out = data->pixels.data() + base + r * 3 * kCifarPlane;
    for (int64_t p = 0; p < kCifarPlane; ++p) {
      for (int64_t c = 0; c < 3; ++c) out[p * 3 + c] = planes[c * kCifarPlane + p];
    }
  }
}

// One name per line of `dir`/`file` if it exists and has `count` non-empty lines, else class<N>.
std::vector<std::string> ClassNamesFile(const std::string& dir, const std::string& file,
                                        int64_t count) {
  std::ifstream in(JoinPath(dir, file));
  std::vector<std::string> names;
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) names.push_back(line);
  }
  if (static_cast<int64_t>(names.size()) == count) return names;
  names.clear();
  for (int64_t c = 0; c < count; ++c) names.push_back("class" + std::to_string(c));
  return names;
}

void CheckSyntheticOptions(const SyntheticOptions& o) {
  auto require = [](bool ok, const std::string& key, const std::string& rule, double value) {
    if (!ok) {
      throw std::invalid_argument("data.synthetic." + key + " must be " + rule + ", got " +
                                  std::to_string(value));
    }
  };
  require(o.train_samples >= 0, "train_samples", ">= 0", o.train_samples);
  require(o.test_samples >= 0, "test_samples", ">= 0", o.test_samples);
  require(o.image_size >= 4, "image_size", ">= 4", o.image_size);
  require(o.channels >= 1, "channels", ">= 1", o.channels);
  require(o.classes >= 2, "classes", ">= 2", o.classes);
  require(o.noise >= 0, "noise", ">= 0", o.noise);
}

// Class k: stripes at angle (k % 4) * 45 degrees with period 3 + 2.5 * (k / 4) pixels, under a
// Gaussian blob whose centre and stripe phase vary per sample. Orientation and frequency are
// what a few convolutions with global pooling pick up, so a small CNN learns it in an epoch.
void DrawSyntheticImage(const SyntheticOptions& o, int64_t label, Rng& rng, uint8_t* out) {
  const double size = static_cast<double>(o.image_size);
  const double angle = static_cast<double>(label % 4) * kPi / 4;
  const double period = 3.0 + 2.5 * static_cast<double>(label / 4);
  const double fx = 2 * kPi * std::cos(angle) / period;
  const double fy = 2 * kPi * std::sin(angle) / period;
  const double phase = rng.Uniform(0, 2 * kPi);
  const double cx = (size - 1) / 2 + rng.Uniform(-size / 8, size / 8);
  const double cy = (size - 1) / 2 + rng.Uniform(-size / 8, size / 8);
  const double inv_two_sigma2 = 1.0 / (2 * (size / 3) * (size / 3));
  for (int64_t y = 0; y < o.image_size; ++y) {
    for (int64_t x = 0; x < o.image_size; ++x) {
      double dx = x - cx, dy = y - cy;
      double envelope = std::exp(-(dx * dx + dy * dy) * inv_two_sigma2);
      double stripe = 0.5 + 0.5 * std::cos(fx * x + fy * y + phase);
      double clean = 0.1 + 0.8 * envelope * stripe;
      for (int64_t c = 0; c < o.channels; ++c) {
        double v = std::clamp(clean + o.noise * rng.Normal(), 0.0, 1.0);
        *out++ = static_cast<uint8_t>(std::lround(v * 255));
      }
    }
  }
}

// Samples [0, count) of one synthetic draw; each sample has its own sub-seed.
Dataset DrawSynthetic(const SyntheticOptions& o, uint64_t seed, uint64_t stream, int64_t count) {
  Dataset data;
  data.channels = o.channels;
  data.height = data.width = o.image_size;
  data.num_classes = o.classes;
  for (int64_t c = 0; c < o.classes; ++c) data.class_names.push_back("class" + std::to_string(c));
  data.labels.resize(count);
  data.pixels.resize(count * data.image_bytes());
  for (int64_t i = 0; i < count; ++i) {
    data.labels[i] = i % o.classes;
    Rng rng(DeriveSeed(seed, stream, static_cast<uint64_t>(i)));
    DrawSyntheticImage(o, data.labels[i], rng, data.pixels.data() + i * data.image_bytes());
  }
  return data;
}

const char* DatasetPrefix(DatasetKind kind) {
  switch (kind) {
    case DatasetKind::kFashionMnist:
      return "fashion-mnist";
    case DatasetKind::kCifar10:
      return "cifar10";
    case DatasetKind::kSynthetic:
      return "synthetic";
    case DatasetKind::kFolder:
      return "folder";
    case DatasetKind::kCifar100:
      return "cifar100";
  }
  return "dataset";
}

// Holdout quota per class: floor(count * fraction), then the remainder of the overall
// round(n * fraction) to the classes with the largest fractional parts. At least one sample
// stays in the training part.
std::vector<int64_t> HoldoutQuota(const std::vector<int64_t>& counts, double fraction) {
  int64_t n = std::accumulate(counts.begin(), counts.end(), int64_t{0});
  int64_t total = std::min<int64_t>(std::llround(n * fraction), std::max<int64_t>(n - 1, 0));
  std::vector<int64_t> quota(counts.size());
  std::vector<std::pair<double, size_t>> remainders;
  for (size_t c = 0; c < counts.size(); ++c) {
    double exact = counts[c] * fraction;
    quota[c] = static_cast<int64_t>(std::floor(exact));
    total -= quota[c];
    remainders.push_back({-(exact - quota[c]), c});  // largest first, ties by class
  }
  std::sort(remainders.begin(), remainders.end());
  for (size_t i = 0; total > 0 && i < 2 * remainders.size(); ++i) {
    size_t c = remainders[i % remainders.size()].second;
    if (quota[c] < counts[c]) {
      ++quota[c];
      --total;
    }
  }
  return quota;
}

void CheckSplitOptions(const DataOptions& options) {
  if (!(options.holdout_fraction >= 0 && options.holdout_fraction < 1)) {
    throw std::invalid_argument("data.holdout_fraction must be in [0, 1), got " +
                                std::to_string(options.holdout_fraction));
  }
  if (options.train_limit < 0 || options.test_limit < 0) {
    throw std::invalid_argument("data.train_limit and data.test_limit must be >= 0");
  }
}

}  // namespace

void CheckDatasetLayout(const Dataset& data) {
  auto fail = [&](const std::string& what) {
    throw std::invalid_argument("dataset " + data.name + ": " + what);
  };
  if (data.channels < 1 || data.height < 1 || data.width < 1 || data.num_classes < 1) {
    fail("shape and class count must be positive");
  }
  if (static_cast<int64_t>(data.pixels.size()) != data.size() * data.image_bytes()) {
    fail("holds " + std::to_string(data.pixels.size()) + " pixel bytes for " +
         std::to_string(data.size()) + " images of " + std::to_string(data.image_bytes()));
  }
  if (static_cast<int64_t>(data.mean.size()) != data.channels ||
      static_cast<int64_t>(data.stddev.size()) != data.channels) {
    fail("needs one mean and one stddev per channel");
  }
  for (float s : data.stddev) {
    if (!(s > 0)) fail("stddev must be positive");
  }
}

ChannelStats ComputeChannelStats(const Dataset& data) {
  // A histogram per channel is exact and avoids float accumulation over millions of pixels.
  std::vector<std::vector<int64_t>> histogram(data.channels, std::vector<int64_t>(256, 0));
  for (size_t i = 0; i < data.pixels.size(); ++i) ++histogram[i % data.channels][data.pixels[i]];
  return ChannelStatsFromHistogram(histogram);
}

ChannelStats ChannelStatsFromHistogram(const std::vector<std::vector<int64_t>>& histogram) {
  ChannelStats stats;
  for (const auto& h : histogram) {
    double n = 0, sum = 0, sum_sq = 0;
    for (int v = 0; v < 256; ++v) {
      double x = v / 255.0;
      n += h[v];
      sum += h[v] * x;
      sum_sq += h[v] * x * x;
    }
    double mean = n > 0 ? sum / n : 0.0;
    double var = n > 0 ? std::max(sum_sq / n - mean * mean, 0.0) : 0.0;
    stats.mean.push_back(static_cast<float>(mean));
    stats.stddev.push_back(var > 0 ? static_cast<float>(std::sqrt(var)) : 1.0f);
  }
  return stats;
}

Dataset LoadFashionMnist(const std::string& dir, DataPart part) {
  const std::string root = dir.empty() ? kFashionMnistDefaultDir : dir;
  const std::string prefix = part == DataPart::kTrain ? "train" : "t10k";
  std::string images_path = ResolveIdxPath(root, prefix + "-images-idx3-ubyte");
  std::string labels_path = ResolveIdxPath(root, prefix + "-labels-idx1-ubyte");
  Dataset data;
  data.name = std::string("fashion-mnist/") + (part == DataPart::kTrain ? "train" : "test");
  data.channels = 1;
  data.height = data.width = kFashionSide;
  data.num_classes = kTenClasses;
  data.class_names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                      "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  int64_t count = 0;
  data.pixels = ReadIdxImages(images_path, &count);
  data.labels = ReadIdxLabels(labels_path);
  if (data.size() != count) {
    throw DataError(images_path + " holds " + std::to_string(count) + " images but " + labels_path +
                    " holds " + std::to_string(data.size()) + " labels");
  }
  // The standard statistics of the 60000 training images (ComputeChannelStats reproduces them).
  data.mean = {0.2860f};
  data.stddev = {0.3530f};
  return data;
}

Dataset LoadCifar10(const std::string& dir, DataPart part) {
  if (dir.empty()) {
    throw DataError(
        "CIFAR-10 has no default location: set data.path to the directory holding "
        "data_batch_1.bin .. data_batch_5.bin and test_batch.bin (the CIFAR-10 "
        "binary version)");
  }
  Dataset data;
  data.name = std::string("cifar10/") + (part == DataPart::kTrain ? "train" : "test");
  data.channels = 3;
  data.height = data.width = kCifarSide;
  data.num_classes = kTenClasses;
  data.class_names = {"airplane", "automobile", "bird",  "cat",  "deer",
                      "dog",      "frog",       "horse", "ship", "truck"};
  const CifarFormat format{"CIFAR-10", CifarHint()};
  if (part == DataPart::kTrain) {
    for (int b = 1; b <= 5; ++b) {
      AppendCifarFile(JoinPath(dir, "data_batch_" + std::to_string(b) + ".bin"), format, &data);
    }
  } else {
    AppendCifarFile(JoinPath(dir, "test_batch.bin"), format, &data);
  }
  // The standard per-channel statistics of the 50000 training images.
  data.mean = {0.4914f, 0.4822f, 0.4465f};
  data.stddev = {0.2470f, 0.2435f, 0.2616f};
  return data;
}

Dataset LoadCifar100(const std::string& dir, DataPart part, Cifar100Labels labels) {
  const std::string files = "train.bin and test.bin (the CIFAR-100 binary version)";
  if (dir.empty()) {
    throw DataError("CIFAR-100 has no default location: set data.path to the directory holding " +
                    files);
  }
  const bool fine = labels == Cifar100Labels::kFine;
  const CifarFormat format{"CIFAR-100", "(set data.path to the directory holding " + files + ")", 2,
                           fine ? 1 : 0, fine ? 100 : 20};
  Dataset data;
  data.name = std::string("cifar100/") + (part == DataPart::kTrain ? "train" : "test");
  data.channels = 3;
  data.height = data.width = kCifarSide;
  data.num_classes = format.classes;
  data.class_names =
      ClassNamesFile(dir, fine ? "fine_label_names.txt" : "coarse_label_names.txt", format.classes);
  AppendCifarFile(JoinPath(dir, part == DataPart::kTrain ? "train.bin" : "test.bin"), format,
                  &data);
  // The standard per-channel statistics of the 50000 CIFAR-100 training images.
  data.mean = {0.5071f, 0.4865f, 0.4409f};
  data.stddev = {0.2673f, 0.2564f, 0.2762f};
  return data;
}

Dataset MakeSyntheticDataset(const SyntheticOptions& options, uint64_t seed, DataPart part) {
  CheckSyntheticOptions(options);
  bool train = part == DataPart::kTrain;
  Dataset data =
      DrawSynthetic(options, seed, train ? rng_stream::kSyntheticTrain : rng_stream::kSyntheticTest,
                    train ? options.train_samples : options.test_samples);
  data.name = train ? "synthetic/train" : "synthetic/test";
  // Normalisation from the first (up to) 1024 train samples, so that both draws agree on it
  // without generating the whole train set for the test part.
  Dataset reference = DrawSynthetic(options, seed, rng_stream::kSyntheticTrain,
                                    std::min<int64_t>(options.train_samples, 1024));
  ChannelStats stats = ComputeChannelStats(reference);
  data.mean = stats.mean;
  data.stddev = stats.stddev;
  return data;
}

Dataset LoadDataset(const DataOptions& options, DataPart part, uint64_t seed) {
  switch (options.dataset) {
    case DatasetKind::kFashionMnist:
      return LoadFashionMnist(options.path, part);
    case DatasetKind::kCifar10:
      return LoadCifar10(options.path, part);
    case DatasetKind::kSynthetic:
      return MakeSyntheticDataset(options.synthetic, seed, part);
    case DatasetKind::kFolder:
      return LoadImageFolder(options, part);
    case DatasetKind::kCifar100:
      return LoadCifar100(options.path, part, options.cifar100_labels);
  }
  throw std::invalid_argument("unknown dataset kind");
}

void SplitByClass(const std::vector<int64_t>& labels, int64_t num_classes,
                  const std::vector<int64_t>& order, double fraction, std::vector<int64_t>* kept,
                  std::vector<int64_t>* held_out) {
  std::vector<int64_t> counts(num_classes, 0);
  for (int64_t i : order) ++counts[labels[i]];
  std::vector<int64_t> quota = HoldoutQuota(counts, fraction);
  for (int64_t i : order) {
    int64_t label = labels[i];
    if (quota[label] > 0) {
      --quota[label];
      held_out->push_back(i);
    } else {
      kept->push_back(i);
    }
  }
}

Dataset Subset(const Dataset& data, const std::vector<int64_t>& indices, std::string name) {
  Dataset out;
  out.name = std::move(name);
  out.channels = data.channels;
  out.height = data.height;
  out.width = data.width;
  out.num_classes = data.num_classes;
  out.class_names = data.class_names;
  out.mean = data.mean;
  out.stddev = data.stddev;
  const int64_t bytes = data.image_bytes();
  out.pixels.resize(indices.size() * bytes);
  out.labels.reserve(indices.size());
  for (size_t k = 0; k < indices.size(); ++k) {
    int64_t i = indices[k];
    if (i < 0 || i >= data.size()) throw std::out_of_range("Subset: index out of range");
    std::copy_n(data.image(i), bytes, out.pixels.data() + k * bytes);
    out.labels.push_back(data.labels[i]);
  }
  return out;
}

DataSplits LoadDataSplits(const DataOptions& options, uint64_t seed) {
  CheckSplitOptions(options);
  const std::string prefix = DatasetPrefix(options.dataset);
  Dataset full = LoadDataset(options, DataPart::kTrain, seed);
  std::vector<int64_t> order(full.size());
  std::iota(order.begin(), order.end(), int64_t{0});
  Rng rng(DeriveSeed(seed, rng_stream::kDataSplit));
  Shuffle(order, rng);
  if (options.train_limit > 0 && options.train_limit < full.size()) {
    order.resize(options.train_limit);
  }
  std::vector<int64_t> train_indices, holdout_indices;
  SplitByClass(full.labels, full.num_classes, order, options.holdout_fraction, &train_indices,
               &holdout_indices);
  DataSplits splits;
  splits.train = Subset(full, train_indices, prefix + "/train");
  splits.train.skipped_files = std::move(full.skipped_files);
  splits.holdout = Subset(full, holdout_indices, prefix + "/holdout");
  full = Dataset();  // release the full train set before loading the test set
  splits.test = LoadDataset(options, DataPart::kTest, seed);
  if (options.test_limit > 0 && options.test_limit < splits.test.size()) {
    splits.test.labels.resize(options.test_limit);
    splits.test.pixels.resize(options.test_limit * splits.test.image_bytes());
    splits.test.pixels.shrink_to_fit();
  }
  splits.test.name = prefix + "/test";
  splits.test.mean = splits.train.mean;
  splits.test.stddev = splits.train.stddev;
  return splits;
}

DatasetRecord DescribeData(const DataSplits& splits, const DataOptions& options) {
  const Dataset& train = splits.train;
  DatasetRecord record;
  record.name = train.name.substr(0, train.name.find('/'));
  record.path = options.path;
  record.height = train.height;
  record.width = train.width;
  record.channels = train.channels;
  record.class_names = train.class_names;
  record.mean = train.mean;
  record.stddev = train.stddev;
  record.train_images = train.size();
  record.holdout_images = splits.holdout.size();
  record.test_images = splits.test.size();
  record.skipped_files = train.skipped_files;
  record.skipped_files.insert(record.skipped_files.end(), splits.test.skipped_files.begin(),
                              splits.test.skipped_files.end());
  return record;
}

SearchSpace FitSpaceToData(SearchSpace space, const Dataset& data, const std::string& config_path) {
  if (data.height != data.width)
    throw ConfigError({{config_path, 0, 0, "", "space",
                        "search space '" + space.name + "' takes square images; the dataset has " +
                            std::to_string(data.height) + "x" + std::to_string(data.width) +
                            " (set data.image_size to resize them)"}});
  space.input_size = data.height;
  space.input_channels = data.channels;
  space.num_classes = data.num_classes;
  return space;
}

void CheckFitsData(const std::string& what, int64_t size, int64_t channels, int64_t classes,
                   const Dataset& data, const std::string& config_path, const std::string& key) {
  if (size == data.height && size == data.width && channels == data.channels &&
      classes == data.num_classes)
    return;
  const auto shape = [](int64_t height, int64_t width, int64_t c, int64_t n) {
    return std::to_string(height) + "x" + std::to_string(width) + "x" + std::to_string(c) +
           " images, " + std::to_string(n) + " classes";
  };
  throw ConfigError({{config_path, 0, 0, "", key,
                      what + " does not fit the dataset (got " +
                          shape(size, size, channels, classes) + "; expected " +
                          shape(data.height, data.width, data.channels, data.num_classes) + ")"}});
}

}  // namespace hwnas
