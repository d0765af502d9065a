#include "supernet/sync_batch_norm.h"

#include <torch/autograd.h>

namespace hwnas::supernet {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

RankSum& ActiveSum() {
  static RankSum sum;
  return sum;
}

// Per-channel sums over N, H and W, in double so that E[x^2] - E[x]^2 keeps its precision.
torch::Tensor ChannelSums(const torch::Tensor& x) { return x.to(torch::kDouble).sum({0, 2, 3}); }

torch::Tensor PerChannel(const torch::Tensor& v, const torch::Tensor& like) {
  return v.to(like.scalar_type()).view({1, -1, 1, 1});
}

// y = (x - mean) / sqrt(var + eps) * weight + bias with mean and var over every rank's batch.
struct SyncBatchNormFunction : torch::autograd::Function<SyncBatchNormFunction> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& weight, const torch::Tensor& bias,
                               torch::nn::BatchNorm2dImpl* bn, double momentum) {
    const int64_t channels = x.size(1);
    torch::Tensor stats =
        torch::cat({ChannelSums(x), ChannelSums(x * x),
                    torch::full({1}, double(x.numel() / channels), torch::dtype(torch::kDouble))});
    ActiveSum()(stats);
    const double n = stats[2 * channels].item<double>();
    const torch::Tensor mean = stats.narrow(0, 0, channels) / n;
    const torch::Tensor var = (stats.narrow(0, channels, channels) / n - mean * mean).clamp_min(0);
    const torch::Tensor invstd = (var + bn->options.eps()).rsqrt();
    {
      torch::NoGradGuard no_grad;
      bn->running_mean.mul_(1 - momentum).add_(momentum * mean.to(torch::kFloat));
      bn->running_var.mul_(1 - momentum)
          .add_(momentum * (var * n / std::max(n - 1, 1.0)).to(torch::kFloat));
      bn->num_batches_tracked.add_(1);
    }
    const torch::Tensor xhat = (x - PerChannel(mean, x)) * PerChannel(invstd, x);
    ctx->save_for_backward({xhat, weight, invstd});
    ctx->saved_data["n"] = n;
    return xhat * weight.view({1, -1, 1, 1}) + bias.view({1, -1, 1, 1});
  }

  // PyTorch's SyncBatchNorm backward: the sums of dy and dy * xhat are those of every rank.
  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &xhat = saved[0], &weight = saved[1], &invstd = saved[2];
    const double n = ctx->saved_data["n"].toDouble();
    const torch::Tensor dy = grad_outputs[0];
    const int64_t channels = dy.size(1);
    const torch::Tensor sum_dy = ChannelSums(dy);
    const torch::Tensor sum_dy_xhat = ChannelSums(dy * xhat);
    torch::Tensor sums = torch::cat({sum_dy, sum_dy_xhat});
    ActiveSum()(sums);
    const torch::Tensor mean_dy = PerChannel(sums.narrow(0, 0, channels) / n, dy);
    const torch::Tensor mean_dy_xhat = PerChannel(sums.narrow(0, channels, channels) / n, dy);
    const torch::Tensor scale = PerChannel(invstd, dy) * weight.view({1, -1, 1, 1});
    const torch::Tensor dx = (dy - mean_dy - xhat * mean_dy_xhat) * scale;
    return {dx, sum_dy_xhat.to(weight.scalar_type()), sum_dy.to(weight.scalar_type()),
            torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

BatchNormSync::BatchNormSync(RankSum sum) : previous_(std::move(ActiveSum())) {
  ActiveSum() = std::move(sum);
}

BatchNormSync::~BatchNormSync() { ActiveSum() = std::move(previous_); }

torch::Tensor BatchNorm(torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& x) {
  if (!ActiveSum() || !bn.is_training()) return bn.forward(x);
  // Without a momentum, running statistics are the cumulative average (batch norm's rule).
  const double momentum =
      bn.options.momentum().has_value()
          ? *bn.options.momentum()
          : 1.0 / static_cast<double>(bn.num_batches_tracked.item<int64_t>() + 1);
  return SyncBatchNormFunction::apply(x, bn.weight, bn.bias, &bn, momentum);
}

}  // namespace hwnas::supernet
