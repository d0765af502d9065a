#include "measure/torch_device.h"

#include <torch/cuda.h>

#include <torch/types.h>
#include <torch/utils.h>
#include <torch/version.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "latency/probe.h"
#include "latency/stats.h"
#include "supernet/network.h"
#include "supernet/threads.h"

namespace hwnas::latency {
namespace {

using Clock = std::chrono::steady_clock;

double MillisecondsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// One timed sample: `calls` forward passes (then waiting for the device), reported per call.
double TimeCalls(const std::function<void()>& forward, const std::function<void()>& sync,
                 int64_t calls) {
  const auto start = Clock::now();
  for (int64_t i = 0; i < calls; ++i) forward();
  sync();
  return MillisecondsSince(start) / static_cast<double>(calls);
}

using Forward = std::function<void()>;

// Untimed calls for at least `warmup_ms` (and 3 calls), then how many calls make one sample of
// at least `min_sample_ms`.
int64_t WarmUpAndCountCalls(const Forward& forward, const Forward& sync, double warmup_ms,
                            double min_sample_ms) {
  int64_t warm_calls = 0;
  const auto warm_start = Clock::now();
  while (warm_calls < 3 || MillisecondsSince(warm_start) < warmup_ms) {
    forward();
    sync();
    ++warm_calls;
  }
  const double per_call = MillisecondsSince(warm_start) / static_cast<double>(warm_calls);
  return std::max<int64_t>(1, std::ceil(min_sample_ms / per_call));
}

// The probe's share of a paired measurement: samples of at least 2 ms after 5 ms of warm-up.
constexpr double kProbeSampleMs = 2.0;
constexpr double kProbeWarmupMs = 5.0;

// Warm-up, then calibrate how many calls make one sample of at least min_sample_ms, then take
// `repeats` samples (fewer, but at least 5, when they exceed the time budget); a measurement
// whose spread exceeds max_cv is repeated. With `probe`, each sample is followed at once by a
// probe sample and the spread that counts is that of sample / probe sample: what the machine
// does in between (another tenant, a slower period) moves both and cancels out.
LatencyStats TimeForward(const Forward& forward, const Forward& sync, const MeasureOptions& o,
                         const Forward* probe = nullptr) {
  const int64_t calls = WarmUpAndCountCalls(forward, sync, o.warmup_ms, o.min_sample_ms);
  const int64_t probe_calls =
      probe ? WarmUpAndCountCalls(*probe, sync, kProbeWarmupMs, kProbeSampleMs) : 0;
  LatencyStats best;
  double best_spread = 0;
  for (int64_t attempt = 0; attempt <= o.retries; ++attempt) {
    std::vector<double> samples, probes, ratios;
    const auto start = Clock::now();
    for (int64_t i = 0; i < o.repeats; ++i) {
      if (i >= 5 && MillisecondsSince(start) > o.budget_ms) break;
      samples.push_back(TimeCalls(forward, sync, calls));
      if (!probe) continue;
      probes.push_back(TimeCalls(*probe, sync, probe_calls));
      ratios.push_back(samples.back() / probes.back());
    }
    LatencyStats stats = SummarizeSamples(samples);
    double spread = stats.cv();
    if (probe) {
      const LatencyStats ratio = SummarizeSamples(ratios);
      stats.probe_ms = SummarizeSamples(probes).median;
      stats.probe_ratio = ratio.median;
      spread = ratio.cv();
    }
    if (attempt == 0 || spread < best_spread) best = stats, best_spread = spread;
    if (best_spread <= o.max_cv) return best;
  }
  best.unstable = true;
  return best;
}

torch::Tensor RandomInput(int64_t batch, int64_t channels, int64_t size, bool channels_last,
                          torch::Device device) {
  auto input = torch::randn({batch, channels, size, size}).to(device);
  if (!channels_last) return input;
  return input.to(input.options(), /*non_blocking=*/false, /*copy=*/true,
                  at::MemoryFormat::ChannelsLast);
}

class TorchDevice : public Device {
 public:
  TorchDevice(TorchBackend backend, MeasureOptions options);
  std::string name() const override { return backend_ == TorchBackend::kCpu ? "cpu" : "cuda"; }
  DeviceKind kind() const override { return DeviceKind::kMeasurable; }
  std::string fingerprint() const override;
  std::string properties_json() const override;
  LatencyStats Measure(const LayerSpec& layer) override;
  LatencyStats MeasureNetwork(const NetSpec& net) override;
  LatencyStats MeasurePaired(const LayerSpec& layer) override;
  LatencyStats MeasureNetworkPaired(const NetSpec& net) override;
  std::optional<double> TimeProbe() override;

 private:
  torch::Device torch_device() const;
  void Synchronize() const;
  // Eval mode, batch norm folded if asked, on the device, in the configured memory format.
  void ReadyToTime(torch::nn::Module& module, bool fold_batch_norm) const;
  LatencyStats MeasureLayer(const LayerSpec& layer, bool paired);
  LatencyStats MeasureWholeNetwork(const NetSpec& net, bool paired);
  Forward ProbeForward();  // builds the probe network on first use

  TorchBackend backend_;
  MeasureOptions options_;
  std::string processor_;
  // The probe network and its input, built on first use and kept: a probe is timed between
  // every two measurements, so it must cost little more than its own forward passes.
  supernet::Network probe_{nullptr};
  torch::Tensor probe_input_;
};

}  // namespace

std::string ProcessorModel() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) != 0) continue;
    const auto colon = line.find(':');
    if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
  }
  return "unknown";
}

bool CudaAvailable() { return torch::cuda::is_available(); }

std::unique_ptr<Device> MakeTorchDevice(TorchBackend backend, const MeasureOptions& options) {
  return std::make_unique<TorchDevice>(backend, options);
}

TorchDevice::TorchDevice(TorchBackend backend, MeasureOptions options)
    : backend_(backend), options_(std::move(options)), processor_(ProcessorModel()) {
  if (backend_ == TorchBackend::kCuda && !CudaAvailable())
    throw UsageError(
        "device 'cuda' is not available here: this LibTorch has no CUDA support or sees no GPU "
        "(use --device cpu, or a model or table device)");
  if (backend_ == TorchBackend::kCuda)
    processor_ = "cuda:0 of " + std::to_string(torch::cuda::device_count()) + " GPU(s)";
  // Process-wide on purpose: switching the intra-op pool between measurements and back (a
  // scoped setting) made the same network measure 1.37 ms or 1.92 ms depending on history.
  supernet::SetThreads(static_cast<int>(options_.threads));
}

torch::Device TorchDevice::torch_device() const {
  return backend_ == TorchBackend::kCuda ? torch::Device(torch::kCUDA, 0)
                                         : torch::Device(torch::kCPU);
}

void TorchDevice::Synchronize() const {
  if (backend_ == TorchBackend::kCuda) torch::cuda::synchronize();
}

std::string TorchDevice::fingerprint() const {
  return name() + "|" + processor_ + "|threads=" + std::to_string(options_.threads) +
         "|batch=" + std::to_string(options_.batch) + "|torch=" + TORCH_VERSION +
         "|format=" + (options_.channels_last ? "channels_last" : "contiguous") + "|bn=folded";
}

std::string TorchDevice::properties_json() const {
  return nlohmann::json{{"processor", processor_},
                        {"threads", options_.threads},
                        {"batch", options_.batch},
                        {"torch", TORCH_VERSION},
                        {"channels_last", options_.channels_last},
                        {"batch_norm", "folded into float convolutions"},
                        {"repeats", options_.repeats},
                        {"budget_ms", options_.budget_ms},
                        {"min_sample_ms", options_.min_sample_ms},
                        {"max_cv", options_.max_cv}}
      .dump();
}

LatencyStats TorchDevice::Measure(const LayerSpec& layer) { return MeasureLayer(layer, false); }
LatencyStats TorchDevice::MeasurePaired(const LayerSpec& layer) {
  return MeasureLayer(layer, true);
}
LatencyStats TorchDevice::MeasureNetwork(const NetSpec& net) {
  return MeasureWholeNetwork(net, false);
}
LatencyStats TorchDevice::MeasureNetworkPaired(const NetSpec& net) {
  return MeasureWholeNetwork(net, true);
}

// Layers and networks are timed as exports run them: eval mode, batch norm folded into the float
// convolutions (about 15% of a 1 ms network's time at batch 1 went to batch norm calls).
void TorchDevice::ReadyToTime(torch::nn::Module& module, bool fold_batch_norm) const {
  module.eval();
  if (fold_batch_norm) supernet::FoldBatchNorm(module);
  module.to(torch_device());
  if (options_.channels_last) supernet::ToChannelsLast(module);
}

LatencyStats TorchDevice::MeasureLayer(const LayerSpec& layer, bool paired) {
  supernet::SetThreads(static_cast<int>(options_.threads));
  torch::NoGradGuard no_grad;
  torch::nn::AnyModule module = supernet::MakeLayerModule(layer);
  ReadyToTime(*module.ptr(), /*fold_batch_norm=*/true);
  const auto input = RandomInput(options_.batch, layer.in_channels, layer.input_size,
                                 options_.channels_last, torch_device());
  const Forward probe = paired ? ProbeForward() : Forward();
  return TimeForward([&] { module.forward(input); }, [this] { Synchronize(); }, options_,
                     paired ? &probe : nullptr);
}

LatencyStats TorchDevice::MeasureWholeNetwork(const NetSpec& net, bool paired) {
  supernet::SetThreads(static_cast<int>(options_.threads));
  torch::NoGradGuard no_grad;
  supernet::Network network(net);
  ReadyToTime(*network, /*fold_batch_norm=*/true);
  const auto input = RandomInput(options_.batch, net.input_channels, net.input_size,
                                 options_.channels_last, torch_device());
  const Forward probe = paired ? ProbeForward() : Forward();
  return TimeForward([&] { network->forward(input); }, [this] { Synchronize(); }, options_,
                     paired ? &probe : nullptr);
}

Forward TorchDevice::ProbeForward() {
  const NetSpec& net = ProbeNet();
  if (!probe_) {
    // Unlike the networks it is paired with, the probe keeps its batch norm: probe-v1 is a fixed
    // yardstick, comparable with every probe time recorded before layers were timed folded.
    probe_ = supernet::Network(net);
    ReadyToTime(*probe_, /*fold_batch_norm=*/false);
    probe_input_ =
        RandomInput(1, net.input_channels, net.input_size, options_.channels_last, torch_device());
  }
  return [this] { probe_->forward(probe_input_); };
}

std::optional<double> TorchDevice::TimeProbe() {
  supernet::SetThreads(static_cast<int>(options_.threads));
  torch::NoGradGuard no_grad;
  // Short on purpose (5 samples of at least 2 ms after 5 ms of warm-up): it runs between
  // measurements and before estimates.
  MeasureOptions probe_options = options_;
  probe_options.repeats = 5;
  probe_options.min_sample_ms = kProbeSampleMs;
  probe_options.warmup_ms = kProbeWarmupMs;
  probe_options.retries = 0;
  return TimeForward(
             ProbeForward(), [this] { Synchronize(); }, probe_options)
      .median;
}

}  // namespace hwnas::latency
