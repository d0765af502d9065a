// Datasets from the user's image folders (data.dataset: folder): the ImageFolder layouts
// DIR/train/<class>/* with DIR/test/<class>/* (or DIR/val/), or one tree DIR/<class>/* split
// into train and test by data.test_fraction. Owns listing, labels and the test split; decoding
// and its cache are core/image_cache.h.
#pragma once

#include <string>
#include <vector>

#include "core/dataset.h"
#include "core/image_cache.h"
#include "core/options.h"

namespace hwnas {

// The image files of a folder dataset, sorted by path, with labels and the two parts.
struct FolderListing {
  std::string root;
  std::vector<std::string> class_names;  // sorted folder names; label = index
  std::vector<ImageFileEntry> files;
  std::vector<int64_t> labels;  // per file
  std::vector<int64_t> train;   // indices into files, in path order
  std::vector<int64_t> test;    // indices into files, in a fixed shuffled order
};

// Lists `dir` (class folders are searched recursively, following symbolic links). Throws
// DataError naming the directory for an empty or missing folder, a class folder without
// images, a test class that train lacks, a symbolic link loop or an unreadable directory.
FolderListing ListImageFolder(const std::string& dir, double test_fraction);

// One part of the folder dataset `options` names, decoded once into the cache. Mean and stddev
// are those of the train part.
Dataset LoadImageFolder(const DataOptions& options, DataPart part);

}  // namespace hwnas
