#include "supernet/depthwise_conv.h"

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace hwnas::supernet {
namespace {

// The vector kernel is compiled for AVX2 with FMA and runs only where the CPU has both; elsewhere
// (and off x86) the one-channel-at-a-time kernel computes the same sums.
#if defined(__x86_64__) || defined(__i386__)
#define HWNAS_AVX2 __attribute__((target("avx2,fma")))
bool CpuHasAvx2Fma() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
}
#else
#define HWNAS_AVX2
bool CpuHasAvx2Fma() { return false; }
#endif

std::atomic<bool>& OwnGradientSwitch() {
  static std::atomic<bool> on{CpuHasAvx2Fma()};
  return on;
}

struct Geometry {
  int64_t images, channels, height, width, out_height, out_width, kernel, stride, padding;
};

// The output columns [first, end) whose input column ow * stride - padding + kw lies inside.
struct ColumnRange {
  int64_t first, end;
};
ColumnRange ValidColumns(const Geometry& g, int64_t kw) {
  const int64_t lowest = g.padding - kw;  // ow * stride >= padding - kw
  const int64_t first = lowest <= 0 ? 0 : (lowest + g.stride - 1) / g.stride;
  const int64_t highest = g.width - 1 + g.padding - kw;  // ow * stride <= this
  const int64_t end = highest < 0 ? 0 : std::min(g.out_width, highest / g.stride + 1);
  return {first, end};
}

using Vec8 = float __attribute__((vector_size(32)));

HWNAS_AVX2 inline Vec8 Load8(const float* p) {
  Vec8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
HWNAS_AVX2 inline void Store8(float* p, Vec8 v) { std::memcpy(p, &v, sizeof v); }

// acc[kh][kw][8 * Vectors] += the sums for channels c0 .. c0 + 8 * Vectors - 1. Both tensors are
// channels-last, so those channels lie side by side at every position: each (kh, kw) keeps its
// partial sums in registers along an output row.
template <int Vectors>
HWNAS_AVX2 void AccumulateVectorBlock(const float* x, const float* grad, const Geometry& g,
                                      int64_t c0, float* acc) {
  constexpr int kWidth = 8 * Vectors;
  const int64_t k = g.kernel, c = g.channels;
  std::vector<ColumnRange> columns;
  for (int64_t kw = 0; kw < k; ++kw) columns.push_back(ValidColumns(g, kw));
  for (int64_t n = 0; n < g.images; ++n)
    for (int64_t oh = 0; oh < g.out_height; ++oh) {
      const float* grad_row = grad + (n * g.out_height + oh) * g.out_width * c + c0;
      for (int64_t kh = 0; kh < k; ++kh) {
        const int64_t ih = oh * g.stride - g.padding + kh;
        if (ih < 0 || ih >= g.height) continue;
        const float* x_row = x + (n * g.height + ih) * g.width * c + c0;
        for (int64_t kw = 0; kw < k; ++kw) {
          if (columns[kw].first >= columns[kw].end) continue;  // a tap that misses every column
          float* a = acc + (kh * k + kw) * kWidth;
          Vec8 sum[Vectors];
          for (int v = 0; v < Vectors; ++v) sum[v] = Load8(a + 8 * v);
          const int64_t first = columns[kw].first;
          const float* xp = x_row + (first * g.stride - g.padding + kw) * c;
          const float* gp = grad_row + first * c;
          for (int64_t ow = first; ow < columns[kw].end; ++ow, xp += g.stride * c, gp += c)
            for (int v = 0; v < Vectors; ++v) sum[v] += Load8(xp + 8 * v) * Load8(gp + 8 * v);
          for (int v = 0; v < Vectors; ++v) Store8(a + 8 * v, sum[v]);
        }
      }
    }
}

// The same sums one channel at a time: the channels left over after the 8-wide blocks, and
// every channel on a CPU without AVX2.
void AccumulateScalarBlock(const float* x, const float* grad, const Geometry& g, int64_t c0,
                           int64_t width, float* acc) {
  const int64_t k = g.kernel, c = g.channels;
  for (int64_t n = 0; n < g.images; ++n)
    for (int64_t oh = 0; oh < g.out_height; ++oh)
      for (int64_t kh = 0; kh < k; ++kh) {
        const int64_t ih = oh * g.stride - g.padding + kh;
        if (ih < 0 || ih >= g.height) continue;
        for (int64_t kw = 0; kw < k; ++kw) {
          const ColumnRange cols = ValidColumns(g, kw);
          for (int64_t ow = cols.first; ow < cols.end; ++ow) {
            const float* xp =
                x + ((n * g.height + ih) * g.width + ow * g.stride - g.padding + kw) * c;
            const float* gp = grad + ((n * g.out_height + oh) * g.out_width + ow) * c;
            for (int64_t j = 0; j < width; ++j)
              acc[(kh * k + kw) * width + j] += xp[c0 + j] * gp[c0 + j];
          }
        }
      }
}

struct ChannelBlock {
  int64_t first, width;
};

// 16 channels (a cache line) per block, then 8, then the rest: the tasks of the threads.
std::vector<ChannelBlock> ChannelBlocks(int64_t channels) {
  std::vector<ChannelBlock> blocks;
  int64_t c = 0;
  for (const int64_t width : {int64_t{16}, int64_t{8}})
    for (; c + width <= channels; c += width) blocks.push_back({c, width});
  if (c < channels) blocks.push_back({c, channels - c});
  return blocks;
}

void WeightGradientOfBlock(const float* x, const float* grad, const Geometry& g,
                           const ChannelBlock& block, bool vectors, float* weight_grad) {
  const int64_t taps = g.kernel * g.kernel;
  std::vector<float> acc(static_cast<size_t>(taps * block.width), 0.0f);  // [kh][kw][channel]
  if (vectors && block.width == 16)
    AccumulateVectorBlock<2>(x, grad, g, block.first, acc.data());
  else if (vectors && block.width == 8)
    AccumulateVectorBlock<1>(x, grad, g, block.first, acc.data());
  else
    AccumulateScalarBlock(x, grad, g, block.first, block.width, acc.data());
  for (int64_t j = 0; j < block.width; ++j)
    for (int64_t t = 0; t < taps; ++t)
      weight_grad[(block.first + j) * taps + t] = acc[t * block.width + j];
}

class DepthwiseConvFunction : public torch::autograd::Function<DepthwiseConvFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& weight, int64_t stride, int64_t padding) {
    ctx->save_for_backward({x, weight});
    ctx->saved_data["stride"] = stride;
    ctx->saved_data["padding"] = padding;
    return torch::conv2d(x, weight, {}, stride, padding, 1, weight.size(0));
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor& x = saved[0];
    const torch::Tensor& weight = saved[1];
    const int64_t stride = ctx->saved_data["stride"].toInt();
    const int64_t padding = ctx->saved_data["padding"].toInt();
    // First-order only: a double backward through this function would miss the weight term.
    const torch::Tensor grad = grads[0].contiguous(at::MemoryFormat::ChannelsLast);
    torch::Tensor grad_x, grad_weight;
    if (ctx->needs_input_grad(0))
      grad_x = std::get<0>(at::convolution_backward(grad, x, weight, c10::nullopt, {stride, stride},
                                                    {padding, padding}, {1, 1}, false, {0, 0},
                                                    weight.size(0), {true, false, false}));
    if (ctx->needs_input_grad(1))
      grad_weight = DepthwiseWeightGradient(x, grad, weight.size(2), stride, padding);
    return {grad_x, grad_weight, torch::Tensor(), torch::Tensor()};
  }
};

bool OwnGradientApplies(const torch::Tensor& x, const torch::Tensor& weight) {
  if (x.dim() != 4 || weight.dim() != 4) return false;
  const int64_t k = weight.size(2);
  return OwnDepthwiseGradient() && torch::GradMode::is_enabled() && weight.requires_grad() &&
         x.device().is_cpu() && x.scalar_type() == torch::kFloat &&
         weight.scalar_type() == torch::kFloat && x.is_contiguous(at::MemoryFormat::ChannelsLast) &&
         weight.size(1) == 1 && weight.size(0) == x.size(1) && weight.size(3) == k &&
         (k == 3 || k == 5 || k == 7);
}

}  // namespace

torch::Tensor DepthwiseConv2d(const torch::Tensor& x, const torch::Tensor& weight, int64_t stride,
                              int64_t padding) {
  if (OwnGradientApplies(x, weight))
    return DepthwiseConvFunction::apply(x, weight, stride, padding);
  return torch::conv2d(x, weight, {}, stride, padding, 1, weight.size(0));
}

torch::Tensor DepthwiseWeightGradient(const torch::Tensor& x, const torch::Tensor& grad_output,
                                      int64_t kernel, int64_t stride, int64_t padding) {
  if (x.dim() != 4 || grad_output.dim() != 4 || x.size(0) != grad_output.size(0) ||
      x.size(1) != grad_output.size(1) || x.scalar_type() != torch::kFloat ||
      grad_output.scalar_type() != torch::kFloat || kernel < 1 || stride < 1 || padding < 0)
    throw std::invalid_argument(
        "DepthwiseWeightGradient: x and grad_output must be float32 "
        "[N, C, H, W] tensors of the same N and C");
  for (int d : {2, 3})
    if (grad_output.size(d) != (x.size(d) + 2 * padding - kernel) / stride + 1)
      throw std::invalid_argument(
          "DepthwiseWeightGradient: grad_output is " + std::to_string(grad_output.size(2)) + "x" +
          std::to_string(grad_output.size(3)) + ", not the convolution's output size");
  const torch::Tensor xc = x.contiguous(at::MemoryFormat::ChannelsLast);
  const torch::Tensor gc = grad_output.contiguous(at::MemoryFormat::ChannelsLast);
  const Geometry g{x.size(0),           x.size(1), x.size(2), x.size(3), grad_output.size(2),
                   grad_output.size(3), kernel,    stride,    padding};
  torch::Tensor weight_grad = torch::empty({g.channels, 1, kernel, kernel}, torch::kFloat);
  const bool vectors = CpuHasAvx2Fma();
  const std::vector<ChannelBlock> blocks = ChannelBlocks(g.channels);
  const float* xd = xc.data_ptr<float>();
  const float* gd = gc.data_ptr<float>();
  float* wd = weight_grad.data_ptr<float>();
  at::parallel_for(0, static_cast<int64_t>(blocks.size()), 1, [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b)
      WeightGradientOfBlock(xd, gd, g, blocks[static_cast<size_t>(b)], vectors, wd);
  });
  return weight_grad;
}

bool OwnDepthwiseGradient() { return OwnGradientSwitch().load(); }

void SetOwnDepthwiseGradient(bool on) { OwnGradientSwitch().store(on && CpuHasAvx2Fma()); }

}  // namespace hwnas::supernet
