#include "core/image_folder.h"

#include <sys/stat.h>
#include <tbb/combinable.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <numeric>

#include "core/errors.h"
#include "core/image_decode.h"
#include "core/rng.h"

namespace hwnas {
namespace {

namespace fs = std::filesystem;

const char kLayouts[] =
    "expected DIR/<class>/ image folders, or DIR/train/<class>/ with DIR/test/<class>/ or "
    "DIR/val/<class>/";

[[noreturn]] void ThrowUnreadable(const fs::path& path, const std::error_code& error) {
  throw DataError("cannot read " + path.string() + ": " + error.message());
}

bool IsDirectory(const fs::path& path) {
  std::error_code error;
  const bool directory = fs::is_directory(path, error);  // follows symbolic links
  if (error && error != std::errc::no_such_file_or_directory) ThrowUnreadable(path, error);
  return directory;
}

// Entries of `dir` sorted by name, without hidden ones (".DS_Store", ".cache").
std::vector<fs::path> SortedEntries(const fs::path& dir) {
  std::error_code error;
  std::vector<fs::path> entries;
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    if (it->path().filename().string().rfind('.', 0) != 0) entries.push_back(it->path());
  }
  if (error) ThrowUnreadable(dir, error);
  std::sort(entries.begin(), entries.end());
  return entries;
}

std::vector<std::string> ClassFolders(const fs::path& dir) {
  std::vector<std::string> names;
  for (const fs::path& entry : SortedEntries(dir)) {
    if (IsDirectory(entry)) names.push_back(entry.filename().string());
  }
  return names;
}

ImageFileEntry Describe(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) ThrowUnreadable(path, {errno, std::generic_category()});
  return {path.string(), static_cast<uint64_t>(st.st_size),
          static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

// Image files under `dir`, recursively; `ancestors` are the canonical directories above it, so
// that a symbolic link leading back up is reported instead of followed forever.
void ListImages(const fs::path& dir, std::vector<fs::path>& ancestors,
                std::vector<ImageFileEntry>* out) {
  std::error_code error;
  const fs::path canonical = fs::canonical(dir, error);
  if (error) ThrowUnreadable(dir, error);
  if (std::find(ancestors.begin(), ancestors.end(), canonical) != ancestors.end()) {
    throw DataError(dir.string() + ": a symbolic link loop (it leads back to " +
                    canonical.string() + ", which contains it)");
  }
  ancestors.push_back(canonical);
  for (const fs::path& entry : SortedEntries(dir)) {
    if (IsDirectory(entry)) {
      ListImages(entry, ancestors, out);
    } else if (IsImageFileName(entry.string())) {
      out->push_back(Describe(entry));
    }
  }
  ancestors.pop_back();
}

// Appends the images of every class folder of `dir` with its label in `classes`.
void ListPart(const fs::path& dir, const std::vector<std::string>& classes, FolderListing* listing,
              std::vector<int64_t>* part) {
  for (const std::string& name : ClassFolders(dir)) {
    const auto label = std::find(classes.begin(), classes.end(), name) - classes.begin();
    std::vector<ImageFileEntry> files;
    std::error_code error;
    std::vector<fs::path> ancestors = {fs::canonical(dir.parent_path(), error),
                                       fs::canonical(dir, error)};
    ListImages(dir / name, ancestors, &files);
    if (files.empty()) {
      throw DataError((dir / name).string() +
                      ": no images in this class folder (expected files ending in .png, .jpg, "
                      ".jpeg or .bmp)");
    }
    for (ImageFileEntry& f : files) {
      part->push_back(static_cast<int64_t>(listing->files.size()));
      listing->files.push_back(std::move(f));
      listing->labels.push_back(label);
    }
  }
}

fs::path TestFolder(const fs::path& root) {
  for (const char* name : {"test", "val"}) {
    if (IsDirectory(root / name)) return root / name;
  }
  throw DataError(root.string() + ": has train/ but neither test/ nor val/ (" + kLayouts + ")");
}

void ListTrainTest(const fs::path& root, FolderListing* listing) {
  const fs::path test = TestFolder(root);
  listing->class_names = ClassFolders(root / "train");
  for (const std::string& name : ClassFolders(test)) {
    const auto& known = listing->class_names;
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      throw DataError((test / name).string() + ": class '" + name + "' has no folder in " +
                      (root / "train").string() +
                      " (a network trained without it could never predict it; add its training "
                      "images or remove the folder)");
    }
  }
  ListPart(root / "train", listing->class_names, listing, &listing->train);
  ListPart(test, listing->class_names, listing, &listing->test);
}

// One tree: of each class, test_fraction of the images go to the test part, drawn with a fixed
// seed so that every run on this folder is tested on the same images.
void ListTree(const fs::path& root, double test_fraction, FolderListing* listing) {
  listing->class_names = ClassFolders(root);
  std::vector<int64_t> all;
  ListPart(root, listing->class_names, listing, &all);
  Rng rng(DeriveSeed(0, rng_stream::kFolderSplit, 0));
  Shuffle(all, rng);
  SplitByClass(listing->labels, static_cast<int64_t>(listing->class_names.size()), all,
               test_fraction, &listing->train, &listing->test);
  std::sort(listing->train.begin(), listing->train.end());
}

Dataset PartOf(const FolderListing& listing, const DecodedImages& images, int64_t size,
               DataPart part) {
  Dataset data;
  data.name = std::string("folder/") + (part == DataPart::kTrain ? "train" : "test");
  data.channels = images.channels();
  data.height = data.width = size;
  data.class_names = listing.class_names;
  data.num_classes = static_cast<int64_t>(listing.class_names.size());
  const std::vector<int64_t>& indices = part == DataPart::kTrain ? listing.train : listing.test;
  const int64_t bytes = images.image_bytes();
  data.pixels.reserve(indices.size() * bytes);
  for (int64_t i : indices) {
    if (!images.ok(i)) {
      data.skipped_files.push_back(listing.files[i].path);
      continue;
    }
    data.pixels.insert(data.pixels.end(), images.image(i), images.image(i) + bytes);
    data.labels.push_back(listing.labels[i]);
  }
  if (data.size() == 0) {
    throw DataError(listing.root + ": no " + (part == DataPart::kTrain ? "training" : "test") +
                    " image could be decoded");
  }
  return data;
}

// Mean and stddev of the decodable train images, whichever part is loaded: histograms per
// thread (60000 RGB images at 64x64 are 737 M pixel values).
ChannelStats TrainStats(const FolderListing& listing, const DecodedImages& images) {
  const int64_t channels = images.channels();
  const int64_t pixels = images.image_bytes() / channels;
  tbb::combinable<std::vector<int64_t>> partial(
      [channels] { return std::vector<int64_t>(channels * 256, 0); });
  tbb::parallel_for(size_t{0}, listing.train.size(), [&](size_t k) {
    const int64_t i = listing.train[k];
    if (!images.ok(i)) return;
    std::vector<int64_t>& counts = partial.local();
    const uint8_t* p = images.image(i);
    for (int64_t x = 0; x < pixels; ++x, p += channels) {
      for (int64_t c = 0; c < channels; ++c) ++counts[c * 256 + p[c]];
    }
  });
  std::vector<std::vector<int64_t>> histogram(channels, std::vector<int64_t>(256, 0));
  partial.combine_each([&](const std::vector<int64_t>& counts) {
    for (int64_t j = 0; j < channels * 256; ++j) histogram[j / 256][j % 256] += counts[j];
  });
  return ChannelStatsFromHistogram(histogram);
}

}  // namespace

FolderListing ListImageFolder(const std::string& dir, double test_fraction) {
  std::error_code error;
  const fs::path root = fs::absolute(dir, error).lexically_normal();
  if (!fs::exists(root, error)) {
    throw DataError("data.path: " + root.string() + " does not exist (" + kLayouts + ")");
  }
  if (!IsDirectory(root)) {
    throw DataError("data.path: " + root.string() + " is not a directory (" + kLayouts + ")");
  }
  FolderListing listing;
  listing.root = root.string();
  if (IsDirectory(root / "train")) {
    ListTrainTest(root, &listing);
  } else {
    ListTree(root, test_fraction, &listing);
  }
  if (listing.class_names.empty()) {
    throw DataError(root.string() + ": no class folders (" + kLayouts + ")");
  }
  if (listing.class_names.size() == 1) {
    throw DataError(root.string() + ": only one class folder, '" + listing.class_names[0] +
                    "' (a classifier needs at least 2 classes)");
  }
  Rng rng(DeriveSeed(0, rng_stream::kFolderSplit, 1));
  Shuffle(listing.test, rng);  // so that data.test_limit takes every class
  return listing;
}

Dataset LoadImageFolder(const DataOptions& options, DataPart part) {
  const FolderListing listing = ListImageFolder(options.path, options.test_fraction);
  ImageCacheOptions cache;
  cache.root = listing.root;
  cache.shape = {options.image_size, options.channels};
  cache.skip_bad_images = options.skip_bad_images;
  cache.cache_dir = options.cache_dir.empty() ? DefaultImageCacheDir() : options.cache_dir;
  const std::unique_ptr<DecodedImages> images = LoadDecodedImages(listing.files, cache);
  Dataset data = PartOf(listing, *images, options.image_size, part);
  const ChannelStats stats = TrainStats(listing, *images);
  data.mean = stats.mean;
  data.stddev = stats.stddev;
  if (images->from_cache() && !data.skipped_files.empty()) {
    std::fprintf(stderr,
                 "warning: %zu %s images of %s are left out: they could not be decoded "
                 "(data.skip_bad_images), e.g. %s\n",
                 data.skipped_files.size(), part == DataPart::kTrain ? "training" : "test",
                 listing.root.c_str(), data.skipped_files[0].c_str());
  }
  return data;
}

}  // namespace hwnas
