// An exported model loaded back and run by an independent runtime: ONNX files through OpenCV's
// DNN module, TorchScript files through torch::jit::load (the format is told by the file's
// first bytes). `hwnas predict` and the export tests use it; it never sees hwnas's own modules.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "deploy/export.h"
#include "deploy/metadata.h"

namespace hwnas::deploy {

class ExportedModel {
 public:
  // IoError when `path` cannot be read; DataError when it is neither format, the runtime
  // rejects it, or its hwnas metadata is missing or malformed.
  static ExportedModel Load(const std::string& path);

  ExportedModel(ExportedModel&&) noexcept;
  ExportedModel& operator=(ExportedModel&&) noexcept;
  ~ExportedModel();

  ExportFormat format() const;
  const ExportMetadata& metadata() const;
  // Shape, class names, mean and stddev of the data the network expects.
  const DatasetRecord& data() const { return metadata().data; }
  int64_t num_classes() const { return static_cast<int64_t>(data().class_names.size()); }

  // Logits, n x num_classes row-major, for n images given as n x C x H x W floats in [0, 1]
  // (RGB for three channels). DataError when nchw.size() != n * C * H * W.
  std::vector<float> Run(const std::vector<float>& nchw, int64_t n) const;

  class Runtime;  // one implementation per format, in exported_model.cpp

 private:
  ExportedModel(std::unique_ptr<Runtime> runtime, ExportMetadata metadata);

  std::unique_ptr<Runtime> runtime_;
  ExportMetadata metadata_;
};

}  // namespace hwnas::deploy
