// The reference probe (latency/probe.h) timed over and over in one process, with the time it was
// taken: shows how this machine's speed moves within a process (bench/probe_drift.sh shows it
// across processes), and the probe's own precision.
//   build/bench/hwnas_probe_bench [seconds=60] [threads=1]
// A plain program, not Google Benchmark: a time series of the machine, not a micro-benchmark.
#include <chrono>
#include <cstdio>
#include <string>

#include "latency/probe.h"
#include "measure/torch_device.h"

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::stod(argv[1]) : 60;
  hwnas::latency::MeasureOptions options;
  options.threads = argc > 2 ? std::stoi(argv[2]) : 1;
  auto cpu = hwnas::latency::MakeTorchDevice(hwnas::latency::TorchBackend::kCpu, options);
  const auto start = std::chrono::steady_clock::now();
  hwnas::latency::ProbeLog log;
  std::printf("%8s %9s\n", "t_s", "probe_ms");
  for (;;) {
    const double t =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (t > seconds) break;
    const double ms = *cpu->TimeProbe();
    log.Add(ms);
    std::printf("%8.2f %9.4f\n", t, ms);
  }
  std::printf("# %s\n", hwnas::latency::StabilityText(log.Summary()).c_str());
  return 0;
}
