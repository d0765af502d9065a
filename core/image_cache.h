// Decode once, map afterwards: the pixels of a list of image files, decoded in parallel (TBB)
// with a progress bar into one uint8 cache file per folder and decode settings, written
// atomically and memory-mapped when read. Owns the cache file format and its invalidation (file
// list with sizes and mtimes, plus settings, hashed with SHA-256); does not own labels or splits.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/image_decode.h"

namespace hwnas {

// One image file as listed: what the cache key is made of.
struct ImageFileEntry {
  std::string path;
  uint64_t bytes = 0;
  int64_t mtime_ns = 0;
};

struct ImageCacheOptions {
  std::string root;  // the folder the files belong to (names the cache file)
  ImageShape shape;  // channels 0 = from the images (all gray -> 1, all colour -> 3)
  bool skip_bad_images = false;
  std::string cache_dir;      // empty = do not cache (decode into memory)
  bool show_progress = true;  // progress bar on a terminal, a summary line otherwise
};

// Decoded pixels of every file, in list order; images that could not be decoded (only with
// skip_bad_images) are all zero and marked not ok.
class DecodedImages {
 public:
  virtual ~DecodedImages() = default;
  virtual int64_t count() const = 0;
  virtual int64_t channels() const = 0;
  virtual int64_t image_bytes() const = 0;
  virtual const uint8_t* image(int64_t i) const = 0;
  virtual bool ok(int64_t i) const = 0;
  // True when the pixels came from an existing cache file (nothing was decoded).
  virtual bool from_cache() const = 0;
};

// The cached pixels of `files` when a cache file with the same key exists, else decodes them (and
// writes the cache). Throws DataError for the first file (in list order) that cannot be decoded
// unless skip_bad_images, DataError when channels is 0 and grayscale and colour images are mixed,
// and Interrupted on Ctrl-C; no partial cache file is ever left behind.
std::unique_ptr<DecodedImages> LoadDecodedImages(const std::vector<ImageFileEntry>& files,
                                                 const ImageCacheOptions& options);

// $XDG_CACHE_HOME/hwnas, else $HOME/.cache/hwnas, else /tmp/hwnas-cache-UID.
std::string DefaultImageCacheDir();

}  // namespace hwnas
