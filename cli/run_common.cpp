#include "cli/run_common.h"

#include <CLI/CLI.hpp>

#include <cstdio>

namespace hwnas::cli {

void AddConfigArguments(CLI::App& command, ConfigArgs* args, const std::string& example) {
  command.add_option("config", args->config_path, "YAML config file")->required();
  command.add_option("overrides", args->overrides,
                     "key=value overrides applied before validation, e.g. " + example);
}

runs::ConfigSource SourceOf(const ConfigArgs& args) { return {args.config_path, args.overrides}; }

void PrintRunReport(const std::optional<runs::RunReport>& job_report) {
  if (!job_report) return;
  const runs::RunReport& report = *job_report;
  std::printf("run %lld finished: %s\n", static_cast<long long>(report.run_id),
              report.name.c_str());
  std::fputs(report.summary.c_str(), stdout);
  std::printf("query it with:   hwnas results show %lld\n", static_cast<long long>(report.run_id));
}

}  // namespace hwnas::cli
