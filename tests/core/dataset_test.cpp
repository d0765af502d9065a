#include "core/dataset.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "core/errors.h"
#include "tests/support/run_command.h"

namespace hwnas {
namespace {

using hwnas::testing::MakeTempDir;
using hwnas::testing::WriteFile;

void AppendBigEndian(std::string* out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(value >> shift));
}

std::string IdxImages(uint32_t count, uint32_t rows = 28, uint32_t cols = 28,
                      uint32_t magic = 2051) {
  std::string out;
  for (uint32_t v : {magic, count, rows, cols}) AppendBigEndian(&out, v);
  for (uint32_t i = 0; i < count * rows * cols; ++i) out.push_back(static_cast<char>(i % 251));
  return out;
}

std::string IdxLabels(uint32_t count, uint32_t magic = 2049) {
  std::string out;
  for (uint32_t v : {magic, count}) AppendBigEndian(&out, v);
  for (uint32_t i = 0; i < count; ++i) out.push_back(static_cast<char>(i % 10));
  return out;
}

void WriteGz(const std::string& path, const std::string& bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr) << path;
  ASSERT_EQ(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())),
            static_cast<int>(bytes.size()));
  gzclose(file);
}

// A Fashion-MNIST directory with train files holding `images` and `labels` (raw IDX bytes).
std::string FashionDir(const std::string& images, const std::string& labels) {
  std::string dir = MakeTempDir("fmnist");
  WriteGz(dir + "/train-images-idx3-ubyte.gz", images);
  WriteGz(dir + "/train-labels-idx1-ubyte.gz", labels);
  return dir;
}

std::string LoadError(const std::string& dir) {
  try {
    LoadFashionMnist(dir, DataPart::kTrain);
  } catch (const DataError& e) {
    EXPECT_EQ(e.code(), ExitCode::kDataError);
    return e.what();
  }
  ADD_FAILURE() << "no DataError for " << dir;
  return "";
}

// ---- Fashion-MNIST from the Debian package ---------------------------------------------------

class FashionMnistPackageTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (std::filesystem::exists(std::string(kFashionMnistDefaultDir) +
                                "/train-images-idx3-ubyte.gz")) {
      train_ = new Dataset(LoadFashionMnist("", DataPart::kTrain));
    }
  }
  static void TearDownTestSuite() {
    delete train_;
    train_ = nullptr;
  }
  void SetUp() override {
    if (train_ == nullptr) GTEST_SKIP() << "install the Debian package dataset-fashion-mnist";
  }
  static Dataset* train_;
};
Dataset* FashionMnistPackageTest::train_ = nullptr;

TEST_F(FashionMnistPackageTest, TrainSetShapeLabelsAndPixels) {
  const Dataset& d = *train_;
  EXPECT_EQ(d.name, "fashion-mnist/train");
  EXPECT_EQ(d.size(), 60000);
  EXPECT_EQ(d.channels, 1);
  EXPECT_EQ(d.height, 28);
  EXPECT_EQ(d.width, 28);
  EXPECT_EQ(d.num_classes, 10);
  ASSERT_EQ(d.pixels.size(), 60000u * 784u);
  EXPECT_EQ(std::vector<int64_t>(d.labels.begin(), d.labels.begin() + 5),
            (std::vector<int64_t>{9, 0, 0, 3, 0}));
  EXPECT_EQ(d.image(0)[14 * 28 + 14], 217);
  EXPECT_EQ(d.image(0)[4 * 28 + 14], 36);
  EXPECT_EQ(d.image(0)[0], 0);
  EXPECT_EQ(std::accumulate(d.image(0), d.image(0) + 784, int64_t{0}), 76247);
  EXPECT_EQ(std::accumulate(d.image(59999), d.image(59999) + 784, int64_t{0}), 16684);
  std::map<int64_t, int> counts;
  for (int64_t label : d.labels) ++counts[label];
  for (int c = 0; c < 10; ++c) EXPECT_EQ(counts[c], 6000);
}

TEST_F(FashionMnistPackageTest, StandardStatisticsMatchTheTrainSet) {
  ChannelStats stats = ComputeChannelStats(*train_);
  EXPECT_NEAR(stats.mean[0], 0.2860405969887955, 1e-6);
  EXPECT_NEAR(stats.stddev[0], 0.35302424451492254, 1e-6);
  EXPECT_NEAR(train_->mean[0], stats.mean[0], 1e-4);
  EXPECT_NEAR(train_->stddev[0], stats.stddev[0], 1e-4);
}

TEST_F(FashionMnistPackageTest, TestSet) {
  Dataset d = LoadFashionMnist(kFashionMnistDefaultDir, DataPart::kTest);
  EXPECT_EQ(d.name, "fashion-mnist/test");
  EXPECT_EQ(d.size(), 10000);
  EXPECT_EQ(std::vector<int64_t>(d.labels.begin(), d.labels.begin() + 5),
            (std::vector<int64_t>{9, 2, 1, 1, 6}));
  EXPECT_EQ(d.image(0)[14 * 28 + 14], 110);
  EXPECT_EQ(std::accumulate(d.image(0), d.image(0) + 784, int64_t{0}), 33456);
}

TEST_F(FashionMnistPackageTest, SplitsOfTheRealData) {
  DataOptions options;
  options.train_limit = 1000;
  options.test_limit = 100;
  DataSplits s = LoadDataSplits(options, 7);
  EXPECT_EQ(s.train.size(), 900);
  EXPECT_EQ(s.holdout.size(), 100);
  EXPECT_EQ(s.test.size(), 100);
  EXPECT_EQ(s.test.pixels.size(), 100u * 784u);
  EXPECT_EQ(s.test.labels[0], 9);
  EXPECT_EQ(s.holdout.name, "fashion-mnist/holdout");
  EXPECT_EQ(s.test.mean, s.train.mean);
}

// ---- Fashion-MNIST errors ---------------------------------------------------------------------

TEST(FashionMnistErrors, MissingDirectoryNamesThePackage) {
  EXPECT_EQ(LoadError("/nonexistent/fmnist"),
            "cannot open /nonexistent/fmnist/train-images-idx3-ubyte.gz: No such file or "
            "directory (install the Debian package dataset-fashion-mnist, or set data.path)");
}

TEST(FashionMnistErrors, MissingLabelsFile) {
  std::string dir = MakeTempDir("fmnist");
  WriteGz(dir + "/train-images-idx3-ubyte.gz", IdxImages(3));
  EXPECT_EQ(LoadError(dir), "cannot open " + dir +
                                "/train-labels-idx1-ubyte.gz: No such file or directory (install "
                                "the Debian package dataset-fashion-mnist, or set data.path)");
}

TEST(FashionMnistErrors, SmallValidFilesLoad) {
  std::string dir = FashionDir(IdxImages(3), IdxLabels(3));
  Dataset d = LoadFashionMnist(dir, DataPart::kTrain);
  EXPECT_EQ(d.size(), 3);
  EXPECT_EQ(d.labels, (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(d.image(1)[0], 784 % 251);
}

TEST(FashionMnistErrors, UncompressedFilesAreAccepted) {
  std::string dir = MakeTempDir("fmnist");
  WriteFile(dir + "/train-images-idx3-ubyte", IdxImages(2));
  WriteFile(dir + "/train-labels-idx1-ubyte", IdxLabels(2));
  EXPECT_EQ(LoadFashionMnist(dir, DataPart::kTrain).size(), 2);
}

TEST(FashionMnistErrors, WrongImageMagic) {
  std::string dir = FashionDir(IdxImages(3, 28, 28, 2049), IdxLabels(3));
  EXPECT_EQ(LoadError(dir), dir +
                                "/train-images-idx3-ubyte.gz: bad magic number 2049, expected "
                                "2051 (IDX images of unsigned bytes)");
}

TEST(FashionMnistErrors, WrongLabelMagic) {
  std::string dir = FashionDir(IdxImages(3), IdxLabels(3, 2051));
  EXPECT_EQ(LoadError(dir), dir +
                                "/train-labels-idx1-ubyte.gz: bad magic number 2051, expected "
                                "2049 (IDX labels of unsigned bytes)");
}

TEST(FashionMnistErrors, WrongImageSize) {
  std::string dir = FashionDir(IdxImages(2, 32, 32), IdxLabels(2));
  EXPECT_EQ(LoadError(dir), dir + "/train-images-idx3-ubyte.gz: images are 32x32, expected 28x28");
}

TEST(FashionMnistErrors, TruncatedImages) {
  std::string images = IdxImages(3);
  images.resize(images.size() - 100);
  std::string dir = FashionDir(images, IdxLabels(3));
  EXPECT_EQ(LoadError(dir), dir +
                                "/train-images-idx3-ubyte.gz: truncated: expected 2352 bytes of "
                                "3 images of 28x28 after the header, found 2252");
}

TEST(FashionMnistErrors, TruncatedHeader) {
  std::string dir = FashionDir(IdxImages(3).substr(0, 10), IdxLabels(3));
  EXPECT_EQ(LoadError(dir), dir +
                                "/train-images-idx3-ubyte.gz: truncated: expected a 16-byte IDX "
                                "header, found 10 bytes");
}

TEST(FashionMnistErrors, TruncatedGzipStream) {
  std::string dir = FashionDir(IdxImages(40), IdxLabels(40));
  std::string path = dir + "/train-images-idx3-ubyte.gz";
  std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);
  std::string message = LoadError(dir);
  EXPECT_EQ(message.rfind(path + ": ", 0), 0u) << message;
  EXPECT_NE(message.find("truncated"), std::string::npos) << message;
}

TEST(FashionMnistErrors, GzipTrailerMissing) {
  std::string dir = FashionDir(IdxImages(3), IdxLabels(3));
  std::string path = dir + "/train-labels-idx1-ubyte.gz";
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 6);
  EXPECT_EQ(LoadError(dir), path + ": truncated: the gzip stream ends before its trailer");
}

TEST(FashionMnistErrors, CorruptGzipData) {
  std::string dir = FashionDir(IdxImages(3), IdxLabels(3));
  std::string path = dir + "/train-images-idx3-ubyte.gz";
  std::string bytes = hwnas::testing::ReadFile(path);
  bytes[bytes.size() - 5] ^= 0x5a;  // inside the CRC of the trailer
  WriteFile(path, bytes);
  EXPECT_EQ(LoadError(dir),
            path + ": cannot decompress: incorrect data check (the file is truncated or corrupt)");
}

TEST(FashionMnistErrors, ExtraDataAfterTheImages) {
  std::string dir = FashionDir(IdxImages(3) + "xyz", IdxLabels(3));
  EXPECT_EQ(LoadError(dir), dir +
                                "/train-images-idx3-ubyte.gz: unexpected data after 3 images of "
                                "28x28 (the count in the header does not match the file)");
}

TEST(FashionMnistErrors, CountMismatch) {
  std::string dir = FashionDir(IdxImages(3), IdxLabels(2));
  EXPECT_EQ(LoadError(dir), dir + "/train-images-idx3-ubyte.gz holds 3 images but " + dir +
                                "/train-labels-idx1-ubyte.gz holds 2 labels");
}

TEST(FashionMnistErrors, LabelOutOfRange) {
  std::string labels = IdxLabels(3);
  labels[8 + 1] = 12;
  std::string dir = FashionDir(IdxImages(3), labels);
  EXPECT_EQ(LoadError(dir), dir +
                                "/train-labels-idx1-ubyte.gz: label 12 at index 1 is out of "
                                "range, expected 0..9");
}

// ---- CIFAR-10 -----------------------------------------------------------------------------------

// One record: label, then pixel (c, y, x) = (label + 3c + 5y + 7x) % 256 as CHW planes.
std::string CifarRecord(uint8_t label) {
  std::string record(1, static_cast<char>(label));
  for (int c = 0; c < 3; ++c) {
    for (int y = 0; y < 32; ++y) {
      for (int x = 0; x < 32; ++x)
        record.push_back(static_cast<char>(label + 3 * c + 5 * y + 7 * x));
    }
  }
  return record;
}

std::string CifarDir() {
  std::string dir = MakeTempDir("cifar");
  for (int b = 1; b <= 5; ++b) {
    WriteFile(dir + "/data_batch_" + std::to_string(b) + ".bin",
              CifarRecord(static_cast<uint8_t>(b)) + CifarRecord(static_cast<uint8_t>(b + 4)));
  }
  WriteFile(dir + "/test_batch.bin", CifarRecord(0));
  return dir;
}

std::string CifarError(const std::string& dir, DataPart part = DataPart::kTrain) {
  try {
    LoadCifar10(dir, part);
  } catch (const DataError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no DataError for " << dir;
  return "";
}

TEST(Cifar10, ConvertsPlanarRecordsToChannelsLast) {
  Dataset d = LoadCifar10(CifarDir(), DataPart::kTrain);
  EXPECT_EQ(d.name, "cifar10/train");
  ASSERT_EQ(d.size(), 10);
  EXPECT_EQ(d.channels, 3);
  EXPECT_EQ(d.height, 32);
  EXPECT_EQ(d.width, 32);
  EXPECT_EQ(d.labels, (std::vector<int64_t>{1, 5, 2, 6, 3, 7, 4, 8, 5, 9}));
  for (int64_t i = 0; i < d.size(); ++i) {
    for (int y = 0; y < 32; ++y) {
      for (int x = 0; x < 32; ++x) {
        for (int c = 0; c < 3; ++c) {
          ASSERT_EQ(d.image(i)[(y * 32 + x) * 3 + c],
                    static_cast<uint8_t>(d.labels[i] + 3 * c + 5 * y + 7 * x))
              << i << " " << y << " " << x << " " << c;
        }
      }
    }
  }
  EXPECT_EQ(d.mean.size(), 3u);
  EXPECT_NO_THROW(CheckDatasetLayout(d));
}

TEST(Cifar10, TestBatch) {
  Dataset d = LoadCifar10(CifarDir(), DataPart::kTest);
  EXPECT_EQ(d.name, "cifar10/test");
  EXPECT_EQ(d.size(), 1);
  EXPECT_EQ(d.image(0)[(2 * 32 + 1) * 3 + 2], 3 * 2 + 5 * 2 + 7 * 1);
}

TEST(Cifar10, EmptyPathSaysToSetDataPath) {
  EXPECT_EQ(CifarError(""),
            "CIFAR-10 has no default location: set data.path to the directory holding "
            "data_batch_1.bin .. data_batch_5.bin and test_batch.bin (the CIFAR-10 binary "
            "version)");
}

TEST(Cifar10, MissingFileIsNamed) {
  std::string dir = CifarDir();
  std::filesystem::remove(dir + "/data_batch_3.bin");
  EXPECT_EQ(CifarError(dir), "cannot open " + dir +
                                 "/data_batch_3.bin: No such file or directory (set data.path "
                                 "to the directory of the CIFAR-10 binary version: "
                                 "data_batch_1.bin .. data_batch_5.bin, test_batch.bin)");
}

TEST(Cifar10, TruncatedFile) {
  std::string dir = CifarDir();
  WriteFile(dir + "/test_batch.bin", CifarRecord(1) + "abc");
  EXPECT_EQ(CifarError(dir, DataPart::kTest),
            dir +
                "/test_batch.bin: size 3076 bytes is not a positive multiple of 3073 (1 label "
                "byte + 3072 pixel bytes per record); the file is truncated or not the CIFAR-10 "
                "binary version");
}

TEST(Cifar10, LabelOutOfRange) {
  std::string dir = CifarDir();
  WriteFile(dir + "/data_batch_2.bin", CifarRecord(3) + CifarRecord(10));
  EXPECT_EQ(CifarError(dir), dir + "/data_batch_2.bin: record 1 has label 10, expected 0..9");
}

// ---- Synthetic ---------------------------------------------------------------------------------

SyntheticOptions SmallSynthetic() {
  SyntheticOptions o;
  o.train_samples = 200;
  o.test_samples = 40;
  o.image_size = 12;
  o.channels = 2;
  o.classes = 4;
  return o;
}

TEST(Synthetic, SameSeedSameBytes) {
  Dataset a = MakeSyntheticDataset(SmallSynthetic(), 5, DataPart::kTrain);
  Dataset b = MakeSyntheticDataset(SmallSynthetic(), 5, DataPart::kTrain);
  EXPECT_EQ(a.pixels, b.pixels);
  EXPECT_EQ(a.labels, b.labels);
  EXPECT_EQ(a.mean, b.mean);
  EXPECT_NE(a.pixels, MakeSyntheticDataset(SmallSynthetic(), 6, DataPart::kTrain).pixels);
}

TEST(Synthetic, TrainAndTestAreDifferentDraws) {
  Dataset train = MakeSyntheticDataset(SmallSynthetic(), 5, DataPart::kTrain);
  Dataset test = MakeSyntheticDataset(SmallSynthetic(), 5, DataPart::kTest);
  EXPECT_EQ(train.name, "synthetic/train");
  EXPECT_EQ(test.name, "synthetic/test");
  ASSERT_EQ(test.size(), 40);
  EXPECT_FALSE(std::equal(test.pixels.begin(), test.pixels.end(), train.pixels.begin()));
  EXPECT_EQ(test.mean, train.mean);  // normalisation from the train draw
  EXPECT_EQ(test.stddev, train.stddev);
}

TEST(Synthetic, ShapeAndClassBalance) {
  Dataset d = MakeSyntheticDataset(SmallSynthetic(), 1, DataPart::kTrain);
  EXPECT_NO_THROW(CheckDatasetLayout(d));
  EXPECT_EQ(d.size(), 200);
  EXPECT_EQ(d.pixels.size(), 200u * 12 * 12 * 2);
  EXPECT_EQ(d.num_classes, 4);
  std::map<int64_t, int> counts;
  for (int64_t label : d.labels) ++counts[label];
  for (int c = 0; c < 4; ++c) EXPECT_EQ(counts[c], 50);
  for (float m : d.mean) EXPECT_GT(m, 0.1f);
}

// Classes differ in stripe orientation: the mean squared horizontal vs vertical pixel difference
// separates vertical stripes (class 0) from horizontal ones (class 2) in every sample.
TEST(Synthetic, ClassesAreVisiblyDifferent) {
  SyntheticOptions o = SmallSynthetic();
  o.channels = 1;
  o.noise = 0.05;
  Dataset d = MakeSyntheticDataset(o, 3, DataPart::kTrain);
  for (int64_t i = 0; i < d.size(); ++i) {
    if (d.labels[i] % 2 != 0) continue;
    double dx = 0, dy = 0;
    const uint8_t* p = d.image(i);
    for (int y = 0; y + 1 < 12; ++y) {
      for (int x = 0; x + 1 < 12; ++x) {
        dx += std::pow(p[y * 12 + x + 1] - p[y * 12 + x], 2);
        dy += std::pow(p[(y + 1) * 12 + x] - p[y * 12 + x], 2);
      }
    }
    if (d.labels[i] == 0) {
      EXPECT_GT(dx, 2 * dy) << i;
    } else {
      EXPECT_GT(dy, 2 * dx) << i;
    }
  }
}

TEST(Synthetic, BadOptionsAreRejected) {
  SyntheticOptions o = SmallSynthetic();
  o.classes = 1;
  EXPECT_THROW(MakeSyntheticDataset(o, 1, DataPart::kTrain), std::invalid_argument);
}

// ---- Splits ------------------------------------------------------------------------------------

DataOptions SyntheticData() {
  DataOptions options;
  options.dataset = DatasetKind::kSynthetic;
  options.synthetic = SmallSynthetic();
  return options;
}

std::multiset<std::string> Images(const Dataset& d) {
  std::multiset<std::string> images;
  for (int64_t i = 0; i < d.size(); ++i) {
    images.insert(std::string(d.image(i), d.image(i) + d.image_bytes()) +
                  static_cast<char>(d.labels[i]));
  }
  return images;
}

TEST(Splits, SizesStratificationAndDisjointness) {
  DataOptions options = SyntheticData();
  options.test_limit = 30;
  DataSplits s = LoadDataSplits(options, 11);
  EXPECT_EQ(s.train.name, "synthetic/train");
  EXPECT_EQ(s.holdout.name, "synthetic/holdout");
  EXPECT_EQ(s.test.name, "synthetic/test");
  EXPECT_EQ(s.train.size(), 180);
  EXPECT_EQ(s.holdout.size(), 20);
  EXPECT_EQ(s.test.size(), 30);
  EXPECT_EQ(s.test.pixels.size(), 30u * s.test.image_bytes());
  std::map<int64_t, int> holdout_counts;
  for (int64_t label : s.holdout.labels) ++holdout_counts[label];
  for (int c = 0; c < 4; ++c) EXPECT_EQ(holdout_counts[c], 5);
  // Together the two parts are exactly the train draw: nothing lost, nothing shared.
  std::multiset<std::string> together = Images(s.train);
  for (const std::string& image : Images(s.holdout)) together.insert(image);
  EXPECT_EQ(together, Images(MakeSyntheticDataset(options.synthetic, 11, DataPart::kTrain)));
  Dataset test = MakeSyntheticDataset(options.synthetic, 11, DataPart::kTest);
  EXPECT_TRUE(std::equal(s.test.pixels.begin(), s.test.pixels.end(), test.pixels.begin()));
}

TEST(Splits, SameSeedSameSplit) {
  DataSplits a = LoadDataSplits(SyntheticData(), 3);
  DataSplits b = LoadDataSplits(SyntheticData(), 3);
  EXPECT_EQ(a.train.pixels, b.train.pixels);
  EXPECT_EQ(a.holdout.labels, b.holdout.labels);
  EXPECT_EQ(a.holdout.pixels, b.holdout.pixels);
  DataOptions other = SyntheticData();
  DataSplits c = LoadDataSplits(other, 4);
  EXPECT_NE(a.train.pixels, c.train.pixels);
}

TEST(Splits, TrainLimitAndNoHoldout) {
  DataOptions options = SyntheticData();
  options.train_limit = 50;
  options.holdout_fraction = 0;
  DataSplits s = LoadDataSplits(options, 3);
  EXPECT_EQ(s.train.size(), 50);
  EXPECT_EQ(s.holdout.size(), 0);
  EXPECT_EQ(s.test.size(), 40);
  options.holdout_fraction = 0.2;
  s = LoadDataSplits(options, 3);
  EXPECT_EQ(s.train.size(), 40);
  EXPECT_EQ(s.holdout.size(), 10);
}

TEST(Splits, UnevenClassesStillSumUp) {
  DataOptions options = SyntheticData();
  options.train_limit = 37;
  options.holdout_fraction = 0.3;
  DataSplits s = LoadDataSplits(options, 9);
  EXPECT_EQ(s.holdout.size(), 11);  // round(37 * 0.3)
  EXPECT_EQ(s.train.size(), 26);
}

TEST(Splits, BadFractionIsRejected) {
  DataOptions options = SyntheticData();
  options.holdout_fraction = 1.0;
  EXPECT_THROW(LoadDataSplits(options, 1), std::invalid_argument);
}

TEST(Subset, CopiesImagesInOrder) {
  Dataset d = MakeSyntheticDataset(SmallSynthetic(), 1, DataPart::kTest);
  Dataset s = Subset(d, {3, 0}, "part");
  EXPECT_EQ(s.name, "part");
  ASSERT_EQ(s.size(), 2);
  EXPECT_TRUE(std::equal(s.image(0), s.image(0) + d.image_bytes(), d.image(3)));
  EXPECT_TRUE(std::equal(s.image(1), s.image(1) + d.image_bytes(), d.image(0)));
  EXPECT_EQ(s.labels, (std::vector<int64_t>{3, 0}));
  EXPECT_THROW(Subset(d, {40}, "bad"), std::out_of_range);
}

}  // namespace
}  // namespace hwnas
