#include "search/compression/compression.h"

#include <algorithm>

#include "search/compression/finetune.h"
#include "search/train_util.h"

namespace hwnas::search {

FineTuneRequest FinalRequest(const CompressionOptions& options, const CompressionContext& context) {
  FineTuneRequest request;
  request.dir = context.artifact_dir;
  request.epochs = options.finetune_epochs;
  request.learning_rate = options.finetune_learning_rate;
  request.step_offset = options.episodes;
  request.role = "final";
  return request;
}

FineTuneRequest BaselineRequest(const CompressionOptions& options,
                                const CompressionContext& context) {
  FineTuneRequest request = FinalRequest(options, context);
  request.dir = context.artifact_dir + "/uniform";
  request.step_offset = options.episodes + options.finetune_epochs;
  request.prefix = "uniform_";
  request.role = "baseline";
  return request;
}

CompressedNetwork ExportCompressed(supernet::Network& net, double cost, double reference_cost,
                                   const std::string& noun, FineTuneRequest request,
                                   const Config& config, const DataSplits& data,
                                   const CompressionContext& context) {
  CompressedNetwork out;
  out.net = net->spec();
  out.holdout_accuracy = Accuracy(net, data.holdout, config);
  out.cost = cost;
  out.cost_ratio = cost / reference_cost;
  const std::string metric = request.prefix + noun;
  context.reporter->OnMetrics(request.step_offset,
                              {{metric + "_holdout_accuracy", out.holdout_accuracy},
                               {metric + "_cost", out.cost},
                               {metric + "_cost_ratio", out.cost_ratio}});
  request.weights_kind = noun + "_weights";
  out.finetuned = FineTuneAndStore(net, config, data, context, request);
  return out;
}

TrainResult FineTuneAndStore(supernet::Network& net, const Config& config, const DataSplits& data,
                             const CompressionContext& context, const FineTuneRequest& request) {
  const std::string path = request.dir + "/compressed.pt";
  SaveModule(net, path, request.weights_kind);
  context.reporter->OnArtifact(request.prefix + request.weights_kind, path);

  Config finetune = config;
  finetune.train.epochs = request.epochs;
  finetune.train.learning_rate = request.learning_rate;
  OffsetReporter offset(*context.reporter, request.step_offset, request.prefix);
  TrainContext train = context;  // progress and the stop flag
  train.reporter = &offset;
  train.artifact_dir = request.dir;
  train.initial_weights = path;
  train.measure_latency = request.measure_latency && !request.measured_latency_ms;
  const TrainResult result = TrainNetwork(net->spec(), finetune, data, train);
  ArchitectureRecord record = offset.held.back();
  record.role = request.role;
  record.step = request.step_offset + std::max<int64_t>(request.epochs - 1, 0);
  record.estimated_latency_ms = request.estimated_latency_ms;
  if (request.measured_latency_ms) record.measured_latency_ms = request.measured_latency_ms;
  context.reporter->OnArchitecture(record);
  return result;
}

}  // namespace hwnas::search
