// Folder datasets on real Fashion-MNIST images written as PNG and JPEG: pixels, labels, class
// names, the test split, the decode-once cache and its invalidation, and every kind of bad input
// (each one DataError naming the file, and no cache file left behind).
#include "core/image_folder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <jpeglib.h>

#include <cstdio>

#include <chrono>
#include <filesystem>
#include <map>

#include "core/errors.h"
#include "core/image_decode.h"
#include "tests/support/image_folder_writer.h"
#include "tests/support/run_command.h"

namespace hwnas::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// An 8x8 CMYK JPEG through libjpeg (OpenCV writes only gray and BGR JPEGs).
void WriteCmykJpeg(const std::string& path) {
  FILE* file = std::fopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  jpeg_compress_struct cinfo{};
  jpeg_error_mgr error{};
  cinfo.err = jpeg_std_error(&error);
  jpeg_create_compress(&cinfo);
  jpeg_stdio_dest(&cinfo, file);
  cinfo.image_width = cinfo.image_height = 8;
  cinfo.input_components = 4;
  cinfo.in_color_space = JCS_CMYK;
  jpeg_set_defaults(&cinfo);
  jpeg_start_compress(&cinfo, TRUE);
  std::vector<JSAMPLE> row(8 * 4, 100);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW rows[] = {row.data()};
    jpeg_write_scanlines(&cinfo, rows, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::fclose(file);
}

bool HaveFashionMnist() {
  return fs::exists(std::string(kFashionMnistDefaultDir) + "/t10k-images-idx3-ubyte.gz");
}

class ImageFolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveFashionMnist()) GTEST_SKIP() << "needs the Debian package dataset-fashion-mnist";
    dir_ = MakeTempDir("folder");
    cache_ = MakeTempDir("folder-cache");
  }
  DataOptions Options(int64_t size = 28, int64_t channels = 0) const {
    DataOptions o;
    o.dataset = DatasetKind::kFolder;
    o.path = dir_;
    o.image_size = size;
    o.channels = channels;
    o.cache_dir = cache_;
    return o;
  }
  // The DataError message of loading the train part; checks that no cache file was written.
  std::string LoadError(const DataOptions& o) {
    try {
      LoadImageFolder(o, DataPart::kTrain);
    } catch (const DataError& e) {
      EXPECT_EQ(e.code(), ExitCode::kDataError);
      EXPECT_TRUE(fs::is_empty(cache_)) << "a cache file was left behind";
      return e.what();
    }
    ADD_FAILURE() << "no DataError";
    return "";
  }
  int64_t CacheFiles() const {
    return std::distance(fs::directory_iterator(cache_), fs::directory_iterator());
  }
  std::string dir_, cache_;
};

// The source image of each loaded train image, found through the listing (path order).
std::vector<int64_t> TrainSources(const std::string& dir, const std::vector<WrittenImage>& w) {
  std::map<std::string, int64_t> source;
  for (const WrittenImage& image : w)
    source[fs::path(image.path).lexically_normal()] = image.source_index;
  const FolderListing listing = ListImageFolder(dir, 0.2);
  std::vector<int64_t> sources;
  for (int64_t i : listing.train) sources.push_back(source.at(listing.files[i].path));
  return sources;
}

TEST_F(ImageFolderTest, PngImagesLoadWithTheExactPixelsLabelsAndSortedClassNames) {
  const auto written = WriteFashionFolder(dir_, {});
  const Dataset train = LoadImageFolder(Options(), DataPart::kTrain);
  const Dataset test = LoadImageFolder(Options(), DataPart::kTest);
  EXPECT_EQ(train.name, "folder/train");
  EXPECT_EQ(train.channels, 1);
  EXPECT_EQ(train.height, 28);
  EXPECT_EQ(train.size(), 200);
  EXPECT_EQ(test.size(), 40);
  EXPECT_EQ(train.class_names,
            (std::vector<std::string>{"Dress", "Pullover", "T-shirt-top", "Trouser"}));
  const std::vector<int64_t> sources = TrainSources(dir_, written);
  const Dataset& fashion = FashionTestSet();
  const std::vector<int64_t> folder_of = {2, 3, 1, 0};  // Fashion-MNIST label -> sorted folder
  for (int64_t k = 0; k < train.size(); ++k) {
    ASSERT_TRUE(std::equal(train.image(k), train.image(k) + 784, fashion.image(sources[k])));
    EXPECT_EQ(train.labels[k], folder_of[fashion.labels[sources[k]]]);
  }
  const ChannelStats stats = ComputeChannelStats(train);
  EXPECT_EQ(train.mean, stats.mean);  // the train part's statistics, for both parts
  EXPECT_EQ(test.mean, stats.mean);
  EXPECT_EQ(test.stddev, stats.stddev);
}

TEST_F(ImageFolderTest, RgbAndJpegImagesDecodeToTheirSource) {
  FashionFolderOptions o;
  o.format = "mixed";
  o.rgb = true;
  o.train_per_class = 10;
  o.test_per_class = 2;
  const auto written = WriteFashionFolder(dir_, o);
  const Dataset train = LoadImageFolder(Options(), DataPart::kTrain);
  ASSERT_EQ(train.channels, 3);
  const std::vector<int64_t> sources = TrainSources(dir_, written);
  double error = 0;
  for (int64_t k = 0; k < train.size(); ++k) {
    for (int64_t p = 0; p < 784 * 3; ++p) {
      error += std::abs(train.image(k)[p] - FashionTestSet().image(sources[k])[p / 3]);
    }
  }
  EXPECT_LT(error / (train.size() * 784 * 3), 3.0);  // JPEG is lossy; PNG is exact
}

TEST_F(ImageFolderTest, DecodeResizesTheShorterSideAndCropsTheCentre) {
  cv::Mat image(20, 40, CV_8UC3, cv::Scalar(0, 0, 0));
  image.colRange(0, 10).setTo(cv::Scalar(255, 255, 255));  // outside the centre crop
  image.colRange(10, 30).setTo(cv::Scalar(30, 20, 10));    // BGR
  WriteImage(dir_ + "/wide.png", image);
  const std::vector<uint8_t> rgb = DecodeImage(dir_ + "/wide.png", {20, 3});
  ASSERT_EQ(rgb.size(), 20u * 20 * 3);
  EXPECT_EQ(std::vector<uint8_t>(rgb.begin(), rgb.begin() + 3), (std::vector<uint8_t>{10, 20, 30}));
  EXPECT_EQ(std::count(rgb.begin(), rgb.end(), 255), 0);
  const std::vector<uint8_t> small = DecodeImage(dir_ + "/wide.png", {10, 1});
  EXPECT_EQ(small.size(), 100u);
  const std::vector<uint8_t> large = DecodeImage(dir_ + "/wide.png", {40, 3});
  EXPECT_EQ(large.size(), 40u * 40 * 3);
}

TEST_F(ImageFolderTest, OneTreeIsSplitByClassTheSameWayEveryTime) {
  FashionFolderOptions o;
  o.train_per_class = 25;
  o.test_per_class = 0;
  WriteFashionFolder(dir_, o);
  const FolderListing a = ListImageFolder(dir_, 0.2);
  const FolderListing b = ListImageFolder(dir_, 0.2);
  EXPECT_EQ(a.train, b.train);
  EXPECT_EQ(a.test, b.test);
  ASSERT_EQ(a.test.size(), 20u);
  std::vector<int64_t> per_class(4, 0);
  for (int64_t i : a.test) ++per_class[a.labels[i]];
  EXPECT_EQ(per_class, (std::vector<int64_t>{5, 5, 5, 5}));
  const Dataset test = LoadImageFolder(Options(), DataPart::kTest);
  EXPECT_EQ(test.size(), 20);
  EXPECT_EQ(LoadImageFolder(Options(), DataPart::kTrain).size(), 80);
}

TEST_F(ImageFolderTest, TheCacheIsReusedAndInvalidatedByAddedRemovedOrTouchedFiles) {
  FashionFolderOptions o;
  o.train_per_class = 10;
  o.test_per_class = 2;
  const auto written = WriteFashionFolder(dir_, o);
  const Dataset first = LoadImageFolder(Options(16), DataPart::kTrain);
  EXPECT_EQ(CacheFiles(), 1);
  ListImageFolder(dir_, 0.2);
  ImageCacheOptions cache{ListImageFolder(dir_, 0.2).root, {16, 0}, false, cache_, false};
  auto reload = [&] { return LoadDecodedImages(ListImageFolder(dir_, 0.2).files, cache); };
  EXPECT_TRUE(reload()->from_cache());
  EXPECT_EQ(LoadImageFolder(Options(16), DataPart::kTrain).pixels, first.pixels);

  const fs::path touched = written[3].path;
  fs::last_write_time(touched, fs::last_write_time(touched) + std::chrono::seconds(5));
  EXPECT_FALSE(reload()->from_cache());
  EXPECT_TRUE(reload()->from_cache());
  fs::copy_file(written[0].path, fs::path(written[0].path).parent_path() / "extra.png");
  EXPECT_FALSE(reload()->from_cache());
  fs::remove(written[5].path);
  EXPECT_FALSE(reload()->from_cache());
  EXPECT_TRUE(reload()->from_cache());
  EXPECT_EQ(CacheFiles(), 1);  // one cache file per folder and settings, replaced in place
  cache.shape.size = 20;       // other settings: another file
  EXPECT_FALSE(reload()->from_cache());
  EXPECT_EQ(CacheFiles(), 2);
}

// ---- Bad input ---------------------------------------------------------------------------------

TEST_F(ImageFolderTest, AnEmptyFolderOrAClassFolderWithoutImagesIsNamed) {
  EXPECT_THAT(LoadError(Options()), HasSubstr(dir_ + ": no class folders (expected DIR/<class>/"));
  fs::create_directories(dir_ + "/cat");
  fs::create_directories(dir_ + "/dog");
  WriteFile(dir_ + "/cat/notes.txt", "not an image name");
  WriteImage(dir_ + "/dog/a.png", FashionImage(0, false));
  EXPECT_EQ(LoadError(Options()), dir_ +
                                      "/cat: no images in this class folder (expected files "
                                      "ending in .png, .jpg, .jpeg or .bmp)");
}

TEST_F(ImageFolderTest, FilesThatAreNotImagesOrAreTruncatedAreNamed) {
  FashionFolderOptions o;
  o.train_per_class = 3;
  o.test_per_class = 1;
  o.format = "mixed";
  const auto written = WriteFashionFolder(dir_, o);
  const std::string bad = dir_ + "/train/Dress/bad.png";
  WriteFile(bad, "hello, not a PNG");
  EXPECT_EQ(LoadError(Options()), bad +
                                      ": not an image OpenCV can decode (expected JPEG, PNG or "
                                      "BMP data; the file is corrupt or of another kind)");
  fs::remove(bad);
  WriteTruncatedCopy(written[0].path, dir_ + "/train/Dress/cut.png");
  EXPECT_EQ(LoadError(Options()),
            dir_ + "/train/Dress/cut.png: truncated: the PNG data ends before its IEND chunk");
  fs::remove(dir_ + "/train/Dress/cut.png");
  const auto jpeg = std::find_if(written.begin(), written.end(), [](const WrittenImage& w) {
    return fs::path(w.path).extension() == ".jpg";
  });
  ASSERT_NE(jpeg, written.end());
  WriteTruncatedCopy(jpeg->path, dir_ + "/train/Dress/cut.jpg");
  EXPECT_EQ(LoadError(Options()),
            dir_ +
                "/train/Dress/cut.jpg: truncated: the JPEG data ends before its end-of-image "
                "marker");
}

TEST_F(ImageFolderTest, SixteenBitPngsAreScaledToEightBits) {
  cv::Mat wide(4, 4, CV_16UC1);
  for (int i = 0; i < 16; ++i)
    wide.at<uint16_t>(i / 4, i % 4) = static_cast<uint16_t>(i * 17 * 257);
  WriteImage(dir_ + "/deep.png", wide);
  const std::vector<uint8_t> pixels = DecodeImage(dir_ + "/deep.png", {4, 1});
  for (int i = 0; i < 16; ++i) EXPECT_EQ(pixels[i], i * 17);
}

TEST_F(ImageFolderTest, HugeImagesAreRefusedFromTheirHeader) {
  WriteFashionFolder(dir_, {2, 2, 1, "png", false, "test"});
  const std::string huge = dir_ + "/train/Trouser/huge.png";
  WriteBlackPng(huge, 20000, 20000);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(LoadError(Options()), huge +
                                      ": 20000x20000 pixels is above the limit of 100 megapixels "
                                      "per image; shrink it first (e.g. to 4096 pixels on the "
                                      "longer side)");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST_F(ImageFolderTest, MixedGrayscaleAndColourNeedsAChannelsSetting) {
  WriteFashionFolder(dir_, {2, 2, 1, "png", false, "test"});
  const std::string colour = dir_ + "/train/T-shirt-top/colour.png";
  WriteImage(colour, FashionImage(5, true));
  const std::string message = LoadError(Options());
  EXPECT_THAT(message, HasSubstr(dir_ + ": grayscale and colour images are mixed ("));
  EXPECT_THAT(message, HasSubstr(colour + " is colour); set data.channels to 1"));
  EXPECT_EQ(LoadImageFolder(Options(28, 3), DataPart::kTrain).channels, 3);
  EXPECT_EQ(LoadImageFolder(Options(28, 1), DataPart::kTrain).channels, 1);
}

TEST_F(ImageFolderTest, ATestClassMissingFromTrainAndSymlinkLoopsAreNamed) {
  WriteFashionFolder(dir_, {2, 2, 1, "png", false, "val"});
  WriteImage(dir_ + "/val/Pullover/a.png", FashionImage(0, false));
  EXPECT_THAT(LoadError(Options()),
              HasSubstr(dir_ + "/val/Pullover: class 'Pullover' has no folder in " + dir_ +
                        "/train (a network trained without it"));
  fs::remove_all(dir_ + "/val/Pullover");
  fs::create_directory_symlink("..", dir_ + "/train/Trouser/loop");
  EXPECT_EQ(LoadError(Options()), dir_ +
                                      "/train/Trouser/loop: a symbolic link loop (it leads "
                                      "back to " +
                                      dir_ + "/train, which contains it)");
}

// CMYK needs a colour profile to look right; OpenCV would guess. A CMYK JPEG is written here
// with libjpeg (OpenCV cannot write one).
TEST_F(ImageFolderTest, CmykJpegsAreRefusedWithTheConversionToDo) {
  WriteFashionFolder(dir_, {2, 2, 1, "png", false, "test"});
  const std::string cmyk = dir_ + "/train/Trouser/print.jpg";
  WriteCmykJpeg(cmyk);
  EXPECT_EQ(LoadError(Options()),
            cmyk +
                ": a CMYK JPEG (4 colour components), which hwnas does not read: its colours "
                "depend on a colour profile hwnas does not apply; convert it to RGB first "
                "(e.g. ImageMagick: convert IN -colorspace sRGB OUT)");
}

TEST_F(ImageFolderTest, SkipBadImagesLeavesThemOutAndListsThem) {
  const auto written = WriteFashionFolder(dir_, {2, 5, 2, "png", false, "test"});
  const std::string bad = dir_ + "/train/Trouser/bad.png";
  const std::string bad_test = dir_ + "/test/Trouser/bad.jpg";
  WriteFile(bad, "not a PNG");
  WriteFile(bad_test, "not a JPEG");
  DataOptions o = Options();
  o.skip_bad_images = true;
  o.holdout_fraction = 0.2;
  for (int run = 0; run < 2; ++run) {  // decoding, then from the cache
    const DataSplits splits = LoadDataSplits(o, 3);
    EXPECT_EQ(splits.train.size() + splits.holdout.size(), 10);
    EXPECT_EQ(splits.test.size(), 4);
    EXPECT_EQ(DescribeData(splits, o).skipped_files, (std::vector<std::string>{bad, bad_test}));
  }
}

TEST_F(ImageFolderTest, Cifar100BinaryRecordsWithFineOrCoarseLabelsAndNames) {
  std::string records;
  for (int r = 0; r < 6; ++r) {
    records += static_cast<char>(r % 20);  // coarse
    records += static_cast<char>(50 + r);  // fine
    records += std::string(3072, static_cast<char>(r));
    records[records.size() - 1] = static_cast<char>(200);  // last blue pixel
  }
  WriteFile(dir_ + "/train.bin", records);
  WriteFile(dir_ + "/test.bin", records.substr(0, 2 * 3074));
  Dataset fine = LoadCifar100(dir_, DataPart::kTrain, Cifar100Labels::kFine);
  EXPECT_EQ(fine.size(), 6);
  EXPECT_EQ(fine.num_classes, 100);
  EXPECT_EQ(fine.labels[2], 52);
  EXPECT_EQ(fine.class_names[52], "class52");
  EXPECT_EQ(fine.image(1)[0], 1);
  EXPECT_EQ(fine.image(1)[32 * 32 * 3 - 1], 200);  // HWC: the last pixel's blue
  std::string names;
  for (int c = 0; c < 20; ++c) names += "super" + std::to_string(c) + "\n";
  WriteFile(dir_ + "/coarse_label_names.txt", names);
  Dataset coarse = LoadCifar100(dir_, DataPart::kTest, Cifar100Labels::kCoarse);
  EXPECT_EQ(coarse.size(), 2);
  EXPECT_EQ(coarse.num_classes, 20);
  EXPECT_EQ(coarse.labels[1], 1);
  EXPECT_EQ(coarse.class_names[1], "super1");
  WriteFile(dir_ + "/test.bin", records.substr(0, 3000));
  try {
    LoadCifar100(dir_, DataPart::kTest, Cifar100Labels::kFine);
    ADD_FAILURE();
  } catch (const DataError& e) {
    EXPECT_EQ(std::string(e.what()),
              dir_ +
                  "/test.bin: size 3000 bytes is not a positive multiple of 3074 (2 label "
                  "bytes + 3072 pixel bytes per record); the file is truncated or not the "
                  "CIFAR-100 binary version");
  }
}

}  // namespace
}  // namespace hwnas::testing
