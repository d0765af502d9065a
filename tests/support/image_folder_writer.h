// Test fixtures for folder datasets: real Fashion-MNIST images (from the Debian package, via
// LoadFashionMnist) written into an ImageFolder tree as PNG or JPEG, and the broken files the
// bad-input tests need. Header-only; the suites that include it link OpenCV through hwnas_core.
#pragma once

#include <zlib.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/dataset.h"

namespace hwnas::testing {

struct FashionFolderOptions {
  int64_t classes = 4;  // the first N Fashion-MNIST classes
  int64_t train_per_class = 50;
  int64_t test_per_class = 10;  // 0 = one tree DIR/<class>/ (split by data.test_fraction)
  std::string format = "png";   // "png", "jpg", or "mixed" (alternating)
  bool rgb = false;             // write 3-channel images (the gray value in R, G and B)
  std::string test_folder = "test";
};

struct WrittenImage {
  std::string path;
  int64_t label = 0;         // index of its class folder in sorted order
  int64_t source_index = 0;  // index into the Fashion-MNIST test set
};

// Fashion-MNIST class names as folder names ('/' is not allowed in a file name).
inline std::string FashionFolderName(const std::string& class_name) {
  std::string name = class_name;
  std::replace(name.begin(), name.end(), '/', '-');
  return name;
}

inline const Dataset& FashionTestSet() {
  static const Dataset* const kData = new Dataset(LoadFashionMnist("", DataPart::kTest));
  return *kData;
}

inline void WriteImage(const std::string& path, const cv::Mat& image) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  if (!cv::imwrite(path, image)) throw std::runtime_error("cannot write " + path);
}

// Fashion-MNIST image `index` as a 28x28 gray (or gray-replicated BGR) matrix.
inline cv::Mat FashionImage(int64_t index, bool rgb) {
  const Dataset& data = FashionTestSet();
  cv::Mat gray(28, 28, CV_8UC1, const_cast<uint8_t*>(data.image(index)));
  cv::Mat out;
  if (rgb) {
    cv::Mat planes[] = {gray, gray, gray};
    cv::merge(planes, 3, out);
  } else {
    out = gray.clone();
  }
  return out;
}

// Writes the tree and returns every image written (train part first, then test).
inline std::vector<WrittenImage> WriteFashionFolder(const std::string& dir,
                                                    const FashionFolderOptions& o) {
  const Dataset& data = FashionTestSet();
  std::vector<std::string> names;
  for (int64_t c = 0; c < o.classes; ++c) names.push_back(FashionFolderName(data.class_names[c]));
  std::vector<std::string> sorted = names;
  std::sort(sorted.begin(), sorted.end());
  std::vector<WrittenImage> written;
  std::vector<int64_t> taken(o.classes, 0);
  const int64_t per_class = o.train_per_class + o.test_per_class;
  for (int64_t i = 0; i < data.size(); ++i) {
    const int64_t c = data.labels[i];
    if (c >= o.classes || taken[c] >= per_class) continue;
    const int64_t k = taken[c]++;
    std::string part;
    if (o.test_per_class > 0) part = (k < o.train_per_class ? "train" : o.test_folder) + "/";
    const bool png = o.format == "png" || (o.format == "mixed" && k % 2 == 0);
    const std::string path =
        dir + "/" + part + names[c] + "/img" + std::to_string(i) + (png ? ".png" : ".jpg");
    WriteImage(path, FashionImage(i, o.rgb));
    const int64_t label = std::find(sorted.begin(), sorted.end(), names[c]) - sorted.begin();
    written.push_back({path, label, i});
  }
  std::stable_sort(written.begin(), written.end(), [](const auto& a, const auto& b) {
    return (a.path.find("/train/") != std::string::npos) >
           (b.path.find("/train/") != std::string::npos);
  });
  return written;
}

// A valid PNG header for a width x height 1-bit grayscale image whose pixels are all black,
// compressed row by row: 20000 x 20000 takes 50 MB to deflate but a few hundred KB on disk.
inline void WriteBlackPng(const std::string& path, uint32_t width, uint32_t height) {
  auto chunk = [](std::ofstream& out, const char* type, const std::string& body) {
    const uint32_t n = static_cast<uint32_t>(body.size());
    const char length[4] = {char(n >> 24), char(n >> 16), char(n >> 8), char(n)};
    out.write(length, 4);
    std::string typed = std::string(type, 4) + body;
    out.write(typed.data(), static_cast<std::streamsize>(typed.size()));
    const uLong crc = crc32(0, reinterpret_cast<const Bytef*>(typed.data()), typed.size());
    const char crc_bytes[4] = {char(crc >> 24), char(crc >> 16), char(crc >> 8), char(crc)};
    out.write(crc_bytes, 4);
  };
  auto be32 = [](uint32_t v) {
    return std::string{char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
  };
  std::ofstream out(path, std::ios::binary);
  out.write("\x89PNG\r\n\x1a\n", 8);
  chunk(out, "IHDR", be32(width) + be32(height) + std::string{1, 0, 0, 0, 0});
  z_stream z{};
  deflateInit(&z, Z_BEST_SPEED);
  std::string row((width + 7) / 8 + 1, '\0'), compressed;
  std::vector<char> buffer(1 << 16);
  for (uint32_t y = 0; y <= height; ++y) {
    z.next_in = reinterpret_cast<Bytef*>(row.data());
    z.avail_in = y < height ? static_cast<uInt>(row.size()) : 0;
    const int flush = y < height ? Z_NO_FLUSH : Z_FINISH;
    do {
      z.next_out = reinterpret_cast<Bytef*>(buffer.data());
      z.avail_out = static_cast<uInt>(buffer.size());
      deflate(&z, flush);
      compressed.append(buffer.data(), buffer.size() - z.avail_out);
    } while (z.avail_out == 0);
  }
  deflateEnd(&z);
  chunk(out, "IDAT", compressed);
  chunk(out, "IEND", "");
}

// The first half of `path`'s bytes, written to `truncated`.
inline void WriteTruncatedCopy(const std::string& path, const std::string& truncated) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(truncated, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
}

}  // namespace hwnas::testing
