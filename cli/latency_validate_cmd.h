// The `hwnas latency` commands that judge a device's table by end-to-end timings: validate
// (latency_validate_cmd.cpp) and the models learned from tables and validations, predictor and
// correct (latency_model_cmd.cpp). AddLatencyEstimateCommands registers them.
#pragma once

#include "core/metrics.h"

namespace CLI {
class App;
}

namespace hwnas::cli {

struct GlobalOptions;

void AddLatencyValidateCommand(CLI::App& latency, const GlobalOptions& global);
void AddLatencyModelCommands(CLI::App& latency, const GlobalOptions& global);

// One line of agreement figures under `label`, as validate and correct print them.
void PrintAgreement(const char* label, const Agreement& a);

}  // namespace hwnas::cli
