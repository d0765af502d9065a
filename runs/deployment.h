// A stored run's network leaving hwnas: exported as ONNX or TorchScript (deploy/), and used on
// image files (`hwnas predict`), from a stored run or from an exported file. The preprocessing
// is the training's: decode, resize the shorter side, centre crop, normalise.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "deploy/export.h"
#include "runs/store_services.h"

namespace hwnas::runs {

struct ExportRequest {
  std::string run;  // id or name
  std::string role = "final";
  deploy::ExportFormat format = deploy::ExportFormat::kOnnx;
  std::string out_path;
};

struct ExportReport {
  int64_t run_id = 0;
  std::string arch;
  std::string out_path;
  int64_t bytes = 0;
};

// UsageError for an unknown run, a run that is not finished or a role it did not store;
// DataError for a run without weights or without a stored dataset (runs older than the
// run_datasets table); IoError for an unwritable output. Nothing is written on failure.
ExportReport ExportRun(const RunOptions& options, const ExportRequest& request);

struct ClassScore {
  int64_t label = 0;
  std::string name;
  double probability = 0;
};

struct Prediction {
  std::string image;
  std::vector<ClassScore> top;  // most probable first
};

struct PredictRequest {
  std::string model;  // an exported .onnx / TorchScript file, or a run id or name
  std::vector<std::string> images;
  int64_t top = 5;
  int64_t threads = 1;
};

struct PredictReport {
  std::string source;  // "run 3 (final)" or the file's path and format
  std::vector<Prediction> predictions;
};

// An existing file is an exported model; anything else is a run reference. DataError naming
// the image for one that cannot be decoded.
PredictReport Predict(const RunOptions& options, const PredictRequest& request);

}  // namespace hwnas::runs
