// `hwnas config validate|print|keys`: checks a configuration file (with overrides), prints the
// resolved configuration, and lists every key. Loading and validation live in core/config.h.
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "core/config.h"

namespace hwnas::cli {
namespace {

struct ConfigArgs {
  std::string file;
  std::vector<std::string> overrides;
};

void AddFileArguments(CLI::App& cmd, ConfigArgs& args) {
  cmd.add_option("file", args.file, "configuration file (YAML)")->required();
  cmd.add_option("overrides", args.overrides,
                 "KEY=VALUE overrides applied before validation, e.g. train.epochs=3; the value "
                 "is read as YAML (3, 0.1, true, \"my run\", [1, 2])");
}

const char* kOverrideHelp =
    "Overrides: KEY=VALUE with a dotted KEY (train.epochs=3, data.dataset=synthetic,\n"
    "name=\"my run\"); they replace the file's values and are validated the same way.\n"
    "Errors are printed as FILE:LINE:COL: error: KEY: PROBLEM (or override 'KEY=VALUE': ...)\n"
    "and exit with code 78. See docs/config.md for every key.";

void AddValidateCommand(CLI::App& config) {
  auto args = std::make_shared<ConfigArgs>();
  auto* cmd = config.add_subcommand(
      "validate",
      "check a configuration file and its overrides; prints 'FILE: ok' or every problem");
  AddFileArguments(*cmd, *args);
  cmd->footer(std::string("Example:\n  hwnas config validate configs/quickstart.yaml "
                          "train.epochs=3\n\n") +
              kOverrideHelp);
  cmd->callback([args] {
    LoadConfig(args->file, args->overrides);
    std::cout << args->file << ": ok\n";
  });
}

void AddPrintCommand(CLI::App& config) {
  auto args = std::make_shared<ConfigArgs>();
  auto* cmd = config.add_subcommand(
      "print", "print the resolved configuration (every default filled in) as YAML");
  AddFileArguments(*cmd, *args);
  cmd->footer(std::string("Example:\n  hwnas config print configs/quickstart.yaml "
                          "data.batch_size=64 > resolved.yaml\n\n") +
              kOverrideHelp);
  cmd->callback([args] { std::cout << ConfigToYaml(LoadConfig(args->file, args->overrides)); });
}

// Markdown: one row per key, in schema order.
void PrintKeyTable() {
  std::cout << "| key | type | default | meaning |\n|---|---|---|---|\n";
  for (const ConfigKeyDoc& row : DescribeConfigKeys()) {
    std::string default_value = row.required ? "required" : row.default_value;
    if (!default_value.empty() && !row.required) default_value = "`" + default_value + "`";
    std::cout << "| `" << row.key << "` | " << row.type << " | " << default_value << " | "
              << row.doc << " |\n";
  }
}

void AddKeysCommand(CLI::App& config) {
  auto* cmd = config.add_subcommand(
      "keys", "list every configuration key with its type, default and meaning (Markdown)");
  cmd->footer("Example:\n  hwnas config keys");
  cmd->callback(PrintKeyTable);
}

}  // namespace

void AddConfigCommands(CLI::App& app) {
  auto* config = app.add_subcommand("config", "check, print and document configuration files");
  config->require_subcommand(1);
  config->footer(
      "Examples:\n"
      "  hwnas config validate configs/quickstart.yaml\n"
      "  hwnas config print configs/quickstart.yaml train.epochs=3\n"
      "  hwnas config keys");
  AddValidateCommand(*config);
  AddPrintCommand(*config);
  AddKeysCommand(*config);
}

}  // namespace hwnas::cli
