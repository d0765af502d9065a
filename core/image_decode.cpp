#include "core/image_decode.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/errors.h"

namespace hwnas {
namespace {

constexpr uint8_t kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

std::vector<uint8_t> ReadImageFile(const std::string& path) {
  errno = 0;
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw DataError("cannot read " + path + ": " + std::strerror(errno ? errno : ENOENT));
  const std::streamsize size = in.tellg();
  std::vector<uint8_t> bytes(static_cast<size_t>(std::max<std::streamsize>(size, 0)));
  in.seekg(0);
  if (size < 0 || !in.read(reinterpret_cast<char*>(bytes.data()), size)) {
    throw DataError("cannot read " + path + ": " + std::strerror(errno ? errno : EIO));
  }
  return bytes;
}

uint32_t BigEndian(const uint8_t* p, int bytes) {
  uint32_t value = 0;
  for (int i = 0; i < bytes; ++i) value = (value << 8) | p[i];
  return value;
}

bool IsPng(const std::vector<uint8_t>& b) {
  return b.size() >= 8 && std::equal(kPngSignature, kPngSignature + 8, b.begin());
}

bool IsJpeg(const std::vector<uint8_t>& b) { return b.size() >= 3 && b[0] == 0xff && b[1] == 0xd8; }

// IHDR is always the first chunk; the IEND chunk closes the file (a few bytes of trailing junk
// are tolerated, as decoders do).
ImageInfo ProbePng(const std::string& path, const std::vector<uint8_t>& b) {
  if (b.size() < 33 || std::memcmp(b.data() + 12, "IHDR", 4) != 0) {
    throw DataError(path + ": truncated: the PNG data ends inside its header");
  }
  const size_t tail = std::min<size_t>(b.size(), 64);
  const auto end = std::search(b.end() - tail, b.end(), "IEND", "IEND" + 4);
  if (end == b.end())
    throw DataError(path + ": truncated: the PNG data ends before its IEND chunk");
  const uint8_t colour_type = b[25];
  // 0 gray, 4 gray + alpha; 2 RGB, 3 palette, 6 RGBA.
  const int64_t channels = colour_type == 0 || colour_type == 4 ? 1 : 3;
  return {BigEndian(b.data() + 16, 4), BigEndian(b.data() + 20, 4), channels};
}

bool IsStartOfFrame(uint8_t marker) {
  return marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
}

// Walks the marker segments up to the start of scan: the frame header gives size and colour
// components; the image must end with an end-of-image marker after the scan data.
ImageInfo ProbeJpeg(const std::string& path, const std::vector<uint8_t>& b) {
  const std::string truncated = path + ": truncated: the JPEG data ends before ";
  ImageInfo info;
  size_t pos = 2;
  while (true) {
    while (pos < b.size() && b[pos] == 0xff) ++pos;  // fill bytes before a marker
    if (pos + 2 >= b.size()) throw DataError(truncated + "its image data");
    const uint8_t marker = b[pos++];
    if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue;  // no length field
    const size_t length = BigEndian(b.data() + pos, 2);
    if (IsStartOfFrame(marker) && pos + 8 <= b.size()) {
      info = {BigEndian(b.data() + pos + 5, 2), BigEndian(b.data() + pos + 3, 2), b[pos + 7]};
    }
    if (marker == 0xda) break;  // start of scan
    pos += length;
  }
  if (info.channels == 4) {
    throw DataError(path +
                    ": a CMYK JPEG (4 colour components), which hwnas does not read: its "
                    "colours depend on a colour profile hwnas does not apply; convert it to RGB "
                    "first (e.g. ImageMagick: convert IN -colorspace sRGB OUT)");
  }
  if (info.channels != 1 && info.channels != 3) {
    throw DataError(path + ": a JPEG with " + std::to_string(info.channels) +
                    " colour components (expected 1, grayscale, or 3, colour)");
  }
  const uint8_t eoi[2] = {0xff, 0xd9};
  if (std::search(b.begin() + pos, b.end(), eoi, eoi + 2) == b.end()) {
    throw DataError(truncated + "its end-of-image marker");
  }
  return info;
}

[[noreturn]] void ThrowUndecodable(const std::string& path) {
  throw DataError(path + ": not an image OpenCV can decode (expected JPEG, PNG or BMP data; " +
                  "the file is corrupt or of another kind)");
}

cv::Mat Decode(const std::string& path, const std::vector<uint8_t>& bytes, int flags) {
  const cv::Mat raw(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<uint8_t*>(bytes.data()));
  cv::Mat image;
  try {
    image = cv::imdecode(raw, flags);
  } catch (const cv::Exception&) {
    ThrowUndecodable(path);
  }
  if (image.empty()) ThrowUndecodable(path);
  return image;
}

// Header of a PNG or JPEG; other formats are decoded to find out. Checks the size limit.
ImageInfo ProbeBytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  ImageInfo info;
  if (IsPng(bytes)) {
    info = ProbePng(path, bytes);
  } else if (IsJpeg(bytes)) {
    info = ProbeJpeg(path, bytes);
  } else {
    const cv::Mat image = Decode(path, bytes, cv::IMREAD_UNCHANGED);
    info = {image.cols, image.rows, image.channels() <= 2 ? 1 : 3};
  }
  if (info.width < 1 || info.height < 1) {
    throw DataError(path + ": the header gives an empty image (" + std::to_string(info.width) +
                    "x" + std::to_string(info.height) + " pixels)");
  }
  if (info.width * info.height > kMaxImagePixels) {
    throw DataError(path + ": " + std::to_string(info.width) + "x" + std::to_string(info.height) +
                    " pixels is above the limit of " + std::to_string(kMaxImagePixels / 1000000) +
                    " megapixels per image; shrink it first (e.g. to 4096 pixels on the longer "
                    "side)");
  }
  return info;
}

// Shorter side to `size`, then the centred size x size window, copied out as HWC bytes.
std::vector<uint8_t> ResizeAndCrop(const cv::Mat& image, int size) {
  const int shorter = std::min(image.rows, image.cols);
  const double scale = static_cast<double>(size) / shorter;
  const int rows = image.rows == shorter
                       ? size
                       : std::max(size, static_cast<int>(std::lround(image.rows * scale)));
  const int cols = image.cols == shorter
                       ? size
                       : std::max(size, static_cast<int>(std::lround(image.cols * scale)));
  cv::Mat resized = image;
  if (rows != image.rows || cols != image.cols) {
    cv::resize(image, resized, cv::Size(cols, rows), 0, 0,
               scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  }
  const cv::Mat crop = resized(cv::Rect((cols - size) / 2, (rows - size) / 2, size, size));
  const size_t row_bytes = static_cast<size_t>(size) * crop.channels();
  std::vector<uint8_t> out(row_bytes * size);
  for (int y = 0; y < size; ++y) std::memcpy(out.data() + y * row_bytes, crop.ptr(y), row_bytes);
  return out;
}

}  // namespace

ImageInfo ProbeImage(const std::string& path) { return ProbeBytes(path, ReadImageFile(path)); }

std::vector<uint8_t> DecodeImage(const std::string& path, const ImageShape& shape) {
  if (shape.size < 1 || (shape.channels != 1 && shape.channels != 3)) {
    throw std::invalid_argument("DecodeImage: size must be positive and channels 1 or 3");
  }
  const std::vector<uint8_t> bytes = ReadImageFile(path);
  ProbeBytes(path, bytes);  // refuses huge, truncated and CMYK files before decoding them
  // Without IMREAD_ANYDEPTH OpenCV scales 16-bit samples to 8 bits; EXIF orientation is applied.
  cv::Mat image =
      Decode(path, bytes, shape.channels == 1 ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
  if (shape.channels == 3) cv::cvtColor(image, image, cv::COLOR_BGR2RGB);
  return ResizeAndCrop(image, static_cast<int>(shape.size));
}

bool IsImageFileName(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp";
}

}  // namespace hwnas
