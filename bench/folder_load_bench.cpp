// Start-up of a run on an image folder: the time LoadDataSplits takes the first time (every
// image decoded into the cache) and the second time (the cache mapped). Writes the folder first
// if it does not exist: Fashion-MNIST's train and test images (the first N and M) enlarged to
// 64x64 RGB PNG files in DIR/train/<class>/ and DIR/test/<class>/. bench/folder_study.sh runs it.
//   build/bench/hwnas_folder_load_bench DIR CACHE_DIR [N=60000 M=10000]
#include <tbb/parallel_for.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "core/dataset.h"

namespace {

namespace fs = std::filesystem;

void WritePart(const std::string& dir, hwnas::DataPart part, int64_t count) {
  const hwnas::Dataset data = hwnas::LoadFashionMnist("", part);
  count = std::min(count, data.size());
  for (int64_t c = 0; c < data.num_classes; ++c)
    fs::create_directories(dir + "/" + std::to_string(c));
  tbb::parallel_for(int64_t{0}, count, [&](int64_t i) {
    cv::Mat gray(28, 28, CV_8UC1, const_cast<uint8_t*>(data.image(i))), large, colour;
    cv::resize(gray, large, cv::Size(64, 64), 0, 0, cv::INTER_LINEAR);
    cv::cvtColor(large, colour, cv::COLOR_GRAY2BGR);
    cv::imwrite(dir + "/" + std::to_string(data.labels[i]) + "/" + std::to_string(i) + ".png",
                colour);
  });
}

double SecondsToLoad(const hwnas::DataOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const hwnas::DataSplits splits = hwnas::LoadDataSplits(options, 1);
  std::fprintf(stderr, "  %lld train, %lld holdout, %lld test images\n",
               static_cast<long long>(splits.train.size()),
               static_cast<long long>(splits.holdout.size()),
               static_cast<long long>(splits.test.size()));
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s DIR CACHE_DIR [TRAIN_IMAGES TEST_IMAGES]\n", argv[0]);
    return 64;
  }
  const std::string dir = argv[1];
  if (!fs::exists(dir)) {
    WritePart(dir + "/train", hwnas::DataPart::kTrain, argc > 3 ? std::stoll(argv[3]) : 60000);
    WritePart(dir + "/test", hwnas::DataPart::kTest, argc > 4 ? std::stoll(argv[4]) : 10000);
  }
  hwnas::DataOptions options;
  options.dataset = hwnas::DatasetKind::kFolder;
  options.path = dir;
  options.image_size = 64;
  options.channels = 3;
  options.cache_dir = argv[2];
  fs::remove_all(options.cache_dir);
  const double first = SecondsToLoad(options);
  const double cached = SecondsToLoad(options);
  std::printf("first %.2f s  cached %.2f s\n", first, cached);
  return 0;
}
