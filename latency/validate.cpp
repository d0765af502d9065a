#include "latency/validate.h"

#include "latency/builder.h"

namespace hwnas::latency {
namespace {

// Seed stream of the validation architectures (calibration in `latency build` uses another).
constexpr uint64_t kValidationStream = 2000;

std::vector<ValidationSample> EstimatedSamples(LatencyTable& table, Device& device,
                                               const SearchSpace& space,
                                               const ValidateOptions& options) {
  LatencyEstimator estimator(table, &device);
  std::vector<ValidationSample> samples;
  for (const Arch& arch : RandomArchs(space, options.samples, options.seed, kValidationStream)) {
    ValidationSample s{FormatArch(arch), ToNetSpec(space, arch), {}, 0, 0};
    s.estimate = estimator.Run(s.net);
    samples.push_back(std::move(s));
  }
  return samples;
}

void TimeSamples(Device& device, const ValidateOptions& options, Validation& v) {
  std::vector<NetSpec> nets;
  for (const auto& s : v.samples) nets.push_back(s.net);
  const BuildOptions build{options.seed, options.rounds, options.show_progress, options.probe};
  const NetworkTimings timings = MeasureNetworks(device, nets, build, "validating on " + v.device);
  v.probe = timings.probe;
  for (size_t i = 0; i < v.samples.size(); ++i) {
    ValidationSample& s = v.samples[i];
    s.measured_ms = timings.ms[i];
    if (v.table_probe && !timings.probe_ms.empty())
      s.rebased_ms = s.estimate.total_ms * timings.probe_ms[i] / v.table_probe->median_ms;
  }
}

void Compare(Validation& v) {
  std::vector<double> plain, corrected, network, rebased, measured;
  for (const auto& s : v.samples) {
    plain.push_back(s.estimate.layers_sum_ms);
    corrected.push_back(s.estimate.total_ms);
    if (s.estimate.corrected_ms) network.push_back(*s.estimate.corrected_ms);
    if (s.rebased_ms > 0) rebased.push_back(s.rebased_ms);
    measured.push_back(s.measured_ms);
  }
  v.plain = CompareToTruth(plain, measured);
  v.corrected = CompareToTruth(corrected, measured);
  // Only where every sample has the figure: a partial series would compare other networks.
  if (!network.empty() && network.size() == measured.size())
    v.network = CompareToTruth(network, measured);
  if (!rebased.empty() && rebased.size() == measured.size())
    v.rebased = CompareToTruth(rebased, measured);
}

void AddAgreement(const Agreement& a, const std::string& prefix, MetricValues& metrics) {
  metrics.push_back({prefix + "mape_percent", 100 * a.mape});
  metrics.push_back({prefix + "max_error_percent", 100 * a.max_ape});
  metrics.push_back({prefix + "kendall_tau", a.kendall_tau});
  metrics.push_back({prefix + "within_5_percent", a.within_5});
  metrics.push_back({prefix + "within_10_percent", a.within_10});
}

// The probe's figures of a validation: its median, spread, and its ratio to the table's build.
void AddProbe(const Validation& v, MetricValues& metrics) {
  if (!v.probe) return;
  metrics.push_back({"probe_ms", v.probe->median_ms});
  metrics.push_back({"probe_spread_percent", v.probe->spread_percent});
  metrics.push_back({"machine_unstable", v.probe->unstable() ? 1.0 : 0.0});
  if (v.table_probe) {
    metrics.push_back({"table_probe_ms", v.table_probe->median_ms});
    metrics.push_back({"probe_vs_table", v.probe->median_ms / v.table_probe->median_ms});
  }
}

ArchitectureRecord SampleRecord(const ValidationSample& s, int64_t step,
                                const std::string& device) {
  ArchitectureRecord record;
  record.role = "validation";
  record.step = step;
  record.arch = s.arch;
  record.netspec_json = NetSpecToJson(s.net);
  record.flops = NetFlops(s.net);
  record.params = NetParams(s.net);
  record.size_bits = NetSizeBits(s.net);
  // The estimate for the conditions the network was measured in: re-based where probed.
  record.estimated_latency_ms = s.rebased_ms > 0 ? s.rebased_ms : s.estimate.total_ms;
  record.measured_latency_ms = s.measured_ms;
  record.latency_device = device;
  return record;
}

}  // namespace

Validation ValidateTable(Device& device, LatencyTable& table, const SearchSpace& space,
                         const ValidateOptions& options) {
  Validation v;
  v.device = device.name();
  v.samples = EstimatedSamples(table, device, space, options);
  v.table_probe = TableProbe(table);
  TimeSamples(device, options, v);
  v.network_scale = NetworkScale(table);
  Compare(v);
  return v;
}

void ReportValidation(const Validation& v, Reporter& reporter) {
  for (size_t i = 0; i < v.samples.size(); ++i)
    reporter.OnArchitecture(SampleRecord(v.samples[i], static_cast<int64_t>(i), v.device));
  MetricValues metrics;
  AddAgreement(v.corrected, "", metrics);
  AddAgreement(v.plain, "plain_", metrics);
  if (v.network) AddAgreement(*v.network, "network_correction_", metrics);
  if (v.rebased) AddAgreement(*v.rebased, "rebased_", metrics);
  AddProbe(v, metrics);
  metrics.push_back({"network_scale", v.network_scale});
  reporter.OnMetrics(0, metrics);
}

}  // namespace hwnas::latency
