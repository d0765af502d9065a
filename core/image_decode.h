// Image files to network-sized pixels: decoding (OpenCV imgcodecs), colour conversion, resizing
// and centre-cropping, plus a cheap look at a file's header (size, colour) before decoding it.
// Owns the rules for which files are accepted; does not own datasets, caching or normalisation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hwnas {

struct ImageShape {
  int64_t size = 0;      // square output side
  int64_t channels = 0;  // 1 or 3
};

// Images larger than this (width x height, read from the header) are refused before they are
// decoded: a 20000x20000 image would take 1.2 GB as RGB, per decoding thread.
inline constexpr int64_t kMaxImagePixels = 100'000'000;

// What a file's header says; `channels` is 1 for grayscale (with or without alpha), 3 for colour.
struct ImageInfo {
  int64_t width = 0;
  int64_t height = 0;
  int64_t channels = 0;
};

// Reads the header of a PNG or JPEG file (other formats: decodes the file to learn it). Throws
// DataError naming the file when it cannot be read, is not an image, is truncated, is a CMYK
// JPEG, or is larger than kMaxImagePixels.
ImageInfo ProbeImage(const std::string& path);

// Decodes an image file (JPEG, PNG, anything OpenCV's imgcodecs reads), converts it to
// `channels` (1 = gray, 3 = RGB order), resizes its shorter side to `size` (INTER_AREA when
// shrinking, INTER_LINEAR when enlarging) and centre-crops to size x size.
// Returns size*size*channels uint8, HWC. Throws DataError naming the file and the problem.
// 16-bit PNGs are scaled to 8 bits; CMYK JPEGs are refused (see docs/datasets.md).
std::vector<uint8_t> DecodeImage(const std::string& path, const ImageShape& shape);

// True for the file names folder datasets read: .png, .jpg, .jpeg, .bmp (any letter case).
bool IsImageFileName(const std::string& path);

}  // namespace hwnas
