#include "runs/deployment.h"

#include <torch/nn/functional/activation.h>

#include <algorithm>
#include <filesystem>
#include <numeric>

#include "core/config.h"
#include "core/dataset.h"
#include "core/errors.h"
#include "core/image_decode.h"
#include "core/netspec.h"
#include "deploy/exported_model.h"
#include "results/store.h"
#include "runs/run_record.h"
#include "search/train_util.h"
#include "supernet/network.h"
#include "supernet/threads.h"

namespace hwnas::runs {
namespace {

namespace fs = std::filesystem;

// A finished run's network with its weights and the data it expects.
struct StoredNetwork {
  int64_t run_id = 0;
  NetSpec net;
  std::string weights;
  DatasetRecord data;
  std::string source;  // "run 3 (final)"
};

// Runs stored before the run_datasets table: the data is read again from the run's config.
DatasetRecord DataFromConfig(const results::RunRecord& run) {
  const Config config = LoadConfigFromString(run.config_text, "run " + std::to_string(run.id));
  return DescribeData(LoadDataSplits(config.data, config.seed), config.data);
}

StoredNetwork FindStoredNetwork(const RunOptions& options, const std::string& reference,
                                const std::string& role) {
  auto store = results::Store::Open(options.db_path, results::Store::OpenMode::kExisting);
  StoredNetwork found;
  found.run_id = store->ResolveRun(reference);
  const results::RunRecord run = store->GetRun(found.run_id);
  const std::string name = "run " + std::to_string(found.run_id);
  if (run.status != results::RunStatus::kFinished)
    throw UsageError(name + " is " + results::RunStatusName(run.status) +
                     "; only a finished run has a trained network");
  std::string roles;
  bool has_role = false;
  for (const results::StoredArchitecture& a : store->Architectures(found.run_id)) {
    if (roles.find(a.record.role) == std::string::npos)
      roles += (roles.empty() ? "" : ", ") + a.record.role;
    if (a.record.role == role) {
      found.net = NetSpecFromJson(a.record.netspec_json, name + " (" + role + ")");
      has_role = true;
    }
  }
  if (!has_role)
    throw UsageError(name + " stored no '" + role +
                     "' network (stored: " + (roles.empty() ? "none" : roles) + ")");
  if (role != "final")
    throw UsageError(name + ": only the final network has stored weights (--role final)");
  for (const results::ArtifactRecord& a : store->Artifacts(found.run_id))
    if (a.kind == "weights") found.weights = ArtifactPath(a.path, options.db_path);
  if (found.weights.empty()) throw DataError(name + " stored no weights for its final network");
  if (!fs::exists(found.weights))
    throw DataError(name + ": its weights " + found.weights + " are missing");
  found.data = store->Dataset(found.run_id).value_or(DatasetRecord());
  if (found.data.class_names.empty()) found.data = DataFromConfig(run);
  found.source = name + " (" + role + ")";
  return found;
}

// Softmax of one row of logits, the `top` most probable classes first.
std::vector<ClassScore> TopClasses(const float* logits, const std::vector<std::string>& names,
                                   int64_t top) {
  const int64_t classes = static_cast<int64_t>(names.size());
  const float peak = *std::max_element(logits, logits + classes);
  std::vector<double> p(classes);
  for (int64_t c = 0; c < classes; ++c) p[c] = std::exp(static_cast<double>(logits[c] - peak));
  const double sum = std::accumulate(p.begin(), p.end(), 0.0);
  std::vector<int64_t> order(classes);
  std::iota(order.begin(), order.end(), int64_t{0});
  const int64_t shown = std::min(top, classes);
  std::partial_sort(order.begin(), order.begin() + shown, order.end(),
                    [&](int64_t a, int64_t b) { return p[a] > p[b] || (p[a] == p[b] && a < b); });
  std::vector<ClassScore> scores;
  for (int64_t i = 0; i < shown; ++i)
    scores.push_back({order[i], names[order[i]], p[order[i]] / sum});
  return scores;
}

// The images decoded as the data was (shorter side resized, centre crop), as N x C x H x W floats:
// pixels in [0, 1], then normalised with the data's mean and stddev when `normalise`.
std::vector<float> ImageBatch(const std::vector<std::string>& images, const DatasetRecord& data,
                              bool normalise) {
  if (data.height != data.width)
    throw DataError("the network takes " + std::to_string(data.height) + "x" +
                    std::to_string(data.width) + " images; predict handles square inputs only");
  const int64_t c = data.channels, hw = data.height * data.width;
  std::vector<float> batch(images.size() * c * hw);
  for (size_t i = 0; i < images.size(); ++i) {
    const std::vector<uint8_t> pixels = DecodeImage(images[i], {data.height, c});
    float* out = batch.data() + i * c * hw;
    for (int64_t k = 0; k < c; ++k) {
      const float mean = normalise ? data.mean[k] : 0.0f;
      const float stddev = normalise ? data.stddev[k] : 1.0f;
      for (int64_t p = 0; p < hw; ++p)
        out[k * hw + p] = (pixels[p * c + k] / 255.0f - mean) / stddev;
    }
  }
  return batch;
}

std::vector<float> RunStoredNetwork(const StoredNetwork& stored, std::vector<float> batch,
                                    int64_t n) {
  supernet::Network net(stored.net);
  search::LoadNetworkWeights(net, stored.weights);
  net->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor input = torch::from_blob(
      batch.data(), {n, stored.data.channels, stored.data.height, stored.data.width});
  const torch::Tensor logits = net->forward(input).contiguous();
  return std::vector<float>(logits.data_ptr<float>(), logits.data_ptr<float>() + logits.numel());
}

PredictReport ReportOf(std::string source, const std::vector<std::string>& images,
                       const std::vector<float>& logits, const std::vector<std::string>& names,
                       int64_t top) {
  PredictReport report{std::move(source), {}};
  for (size_t i = 0; i < images.size(); ++i)
    report.predictions.push_back(
        {images[i], TopClasses(logits.data() + i * names.size(), names, top)});
  return report;
}

}  // namespace

ExportReport ExportRun(const RunOptions& options, const ExportRequest& request) {
  const StoredNetwork stored = FindStoredNetwork(options, request.run, request.role);
  deploy::ExportNetwork({stored.net, stored.weights, stored.data, stored.source}, request.format,
                        request.out_path);
  return {stored.run_id, ArchString(stored.net), request.out_path,
          static_cast<int64_t>(fs::file_size(request.out_path))};
}

PredictReport Predict(const RunOptions& options, const PredictRequest& request) {
  if (request.images.empty()) throw UsageError("predict needs at least one image file");
  if (request.top < 1)
    throw UsageError("--top must be at least 1 (got " + std::to_string(request.top) + ")");
  supernet::SetThreads(static_cast<int>(request.threads));
  const int64_t n = static_cast<int64_t>(request.images.size());
  if (fs::is_regular_file(request.model)) {
    const deploy::ExportedModel model = deploy::ExportedModel::Load(request.model);
    const std::vector<float> logits =
        model.Run(ImageBatch(request.images, model.data(), /*normalise=*/false), n);
    return ReportOf(request.model + " (" + deploy::ExportFormatName(model.format()) + ")",
                    request.images, logits, model.data().class_names, request.top);
  }
  const StoredNetwork stored = FindStoredNetwork(options, request.model, "final");
  const std::vector<float> logits =
      RunStoredNetwork(stored, ImageBatch(request.images, stored.data, /*normalise=*/true), n);
  return ReportOf(stored.source, request.images, logits, stored.data.class_names, request.top);
}

}  // namespace hwnas::runs
