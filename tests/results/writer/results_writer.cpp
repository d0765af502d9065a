// hwnas_results_writer: a separate process that writes to a results database, for the tests
// of concurrent writers and of runs killed mid-way (tests/results/process_test.cpp).
//   hwnas_results_writer DB write RUNS STEPS  RUNS finished runs, each with STEPS metric writes
//   hwnas_results_writer DB hold              begins a run, reports one metric, prints the run
//                                             id on stdout, then sleeps until killed
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "results/store.h"

namespace {

void WriteRuns(hwnas::results::Store& store, int runs, int steps) {
  for (int r = 0; r < runs; ++r) {
    hwnas::results::RunInfo info;
    info.name = "writer-" + std::to_string(::getpid()) + "-" + std::to_string(r);
    info.strategy = "test";
    int64_t id = store.BeginRun(info);
    auto reporter = store.MakeReporter(id);
    for (int step = 0; step < steps; ++step) reporter->OnMetric(step, "loss", 1.0 / (step + 1));
    store.FinishRun(id, hwnas::results::RunStatus::kFinished);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s DB write RUNS STEPS | DB hold\n", argv[0]);
    return 64;
  }
  try {
    auto store = hwnas::results::Store::Open(argv[1]);
    std::string mode = argv[2];
    if (mode == "write" && argc == 5) {
      WriteRuns(*store, std::atoi(argv[3]), std::atoi(argv[4]));
      return 0;
    }
    if (mode == "hold") {
      int64_t id = store->BeginRun({});
      store->MakeReporter(id)->OnMetric(0, "train_loss", 2.5);
      std::printf("%lld\n", static_cast<long long>(id));
      std::fflush(stdout);
      for (;;) ::pause();
    }
    std::fprintf(stderr, "unknown mode '%s'\n", mode.c_str());
    return 64;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 74;
  }
}
