#include "cli/latency_common.h"

#include <CLI/CLI.hpp>

namespace hwnas::cli {

void AddMeasureOptions(CLI::App& command, latency::MeasureOptions* options) {
  command.add_option("--threads", options->threads, "intra-op threads while timing")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  command.add_option("--batch", options->batch, "images per timed forward pass")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  command.add_option("--repeats", options->repeats, "timed samples per operator")
      ->capture_default_str()
      ->check(CLI::Range(3, 100000));
}

}  // namespace hwnas::cli
