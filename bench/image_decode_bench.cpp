// Decoding throughput of folder datasets (core/image_decode.h) as a Google Benchmark: 512
// Fashion-MNIST test images enlarged to 64x64 RGB, written once as PNG and as JPEG (quality 95,
// OpenCV's default), decoded to 64x64x3 on 1 and 2 TBB threads; images/s is items_per_second.
//   build/bench/hwnas_image_decode_bench [--benchmark_repetitions=3]
#include <benchmark/benchmark.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/dataset.h"
#include "core/image_decode.h"

namespace {

constexpr int64_t kImages = 512;
constexpr int kSide = 64;

// The files of one format, written on first use into a temporary directory.
const std::vector<std::string>& Files(const std::string& extension) {
  static std::map<std::string, std::vector<std::string>> files;
  std::vector<std::string>& list = files[extension];
  if (!list.empty()) return list;
  static const hwnas::Dataset data = hwnas::LoadFashionMnist("", hwnas::DataPart::kTest);
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("hwnas-decode-bench-" + extension);
  std::filesystem::create_directories(dir);
  for (int64_t i = 0; i < kImages; ++i) {
    cv::Mat gray(28, 28, CV_8UC1, const_cast<uint8_t*>(data.image(i))), large, colour;
    cv::resize(gray, large, cv::Size(kSide, kSide), 0, 0, cv::INTER_LINEAR);
    cv::cvtColor(large, colour, cv::COLOR_GRAY2BGR);
    colour.col(0).setTo(cv::Scalar(40, 90, 200));  // real colour, so JPEG keeps 3 components
    list.push_back((dir / ("img" + std::to_string(i) + "." + extension)).string());
    cv::imwrite(list.back(), colour);
  }
  return list;
}

void Decode(benchmark::State& state, const char* extension) {
  const std::vector<std::string>& files = Files(extension);
  tbb::global_control threads(tbb::global_control::max_allowed_parallelism, state.range(0));
  int64_t checksum = 0;
  for (auto _ : state) {
    std::vector<uint8_t> first(files.size());
    tbb::parallel_for(size_t{0}, files.size(), [&](size_t i) {
      first[i] = hwnas::DecodeImage(files[i], {kSide, 3})[0];
    });
    for (uint8_t v : first) checksum += v;
  }
  benchmark::DoNotOptimize(checksum);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(files.size()));
}

BENCHMARK_CAPTURE(Decode, png, "png")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(Decode, jpeg, "jpg")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
