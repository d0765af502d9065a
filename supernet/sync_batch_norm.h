// Batch norm synchronised over the ranks of a data-parallel job: in training mode the batch
// statistics (and, backwards, the sums of the gradient) are those of the whole batch over every
// rank, as PyTorch's SyncBatchNorm computes them, so that W ranks with batch B/W train as one
// process with batch B. Active only inside a BatchNormSync scope; elsewhere plain batch norm.
#pragma once

#include <torch/nn/modules/batchnorm.h>

#include <functional>

namespace hwnas::supernet {

// Sums a tensor over all ranks in place (a collective: every rank calls it in the same order).
using RankSum = std::function<void(torch::Tensor&)>;

// While alive, every batch norm of hwnas's networks in training mode synchronises through `sum`.
// Every rank must then run the same forward and backward passes.
class BatchNormSync {
 public:
  explicit BatchNormSync(RankSum sum);
  ~BatchNormSync();
  BatchNormSync(const BatchNormSync&) = delete;
  BatchNormSync& operator=(const BatchNormSync&) = delete;

 private:
  RankSum previous_;
};

// `bn`'s forward on `x`, synchronised when a BatchNormSync scope is active and bn is training.
torch::Tensor BatchNorm(torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& x);

}  // namespace hwnas::supernet
