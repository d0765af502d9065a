// Configuration files: YAML + "dotted.key=value" overrides -> a validated Config (core/options.h).
// Owns the schema of every config key (type, range, default, meaning), the rules across keys,
// and the canonical YAML form of a resolved Config; does not own what the options do at run time.
// Every problem is reported at once as a ConfigError (exit code 78), one line per problem:
//   FILE:LINE:COL: error: dotted.key: what is wrong (got VALUE; expected WHAT)
#pragma once

#include <string>
#include <vector>

#include "core/options.h"
#include "core/search_space.h"
#include "core/strategies.h"

namespace hwnas {

// Loads `path` and applies `overrides` ("train.epochs=3", "name=\"my run\"") before validating.
// A relative `net` resolves against the directory of `path` and is stored absolute; an empty
// `name` becomes the file name without extension. Throws ConfigError listing every problem.
Config LoadConfig(const std::string& path, const std::vector<std::string>& overrides = {});

// The same from text; `display_name` stands for the file (diagnostics, `net`, `name`).
Config LoadConfigFromString(const std::string& text, const std::string& display_name,
                            const std::vector<std::string>& overrides = {});

// The resolved config as YAML with every key written out, in schema order. It loads back to an
// equal Config and is stable for equal configs, so it doubles as the canonical text to hash.
std::string ConfigToYaml(const Config& config);

// Reports a problem found after loading (when a run starts: a budget the network cannot meet, a
// file that does not fit) at the dotted `key` of the config, in the loader's form: throws a
// ConfigError naming config.source_path and `key`.
[[noreturn]] void ThrowAt(const Config& config, const std::string& key, const std::string& message);

// Keys whose values differ between two configs, in schema order, each as
// "dotted.key: VALUE_IN_A -> VALUE_IN_B" (YAML text). Empty when ConfigToYaml agrees.
std::vector<std::string> ConfigDifferences(const Config& a, const Config& b);

// $HWNAS_CONFIGS, else the configs/ directory of the source tree hwnas was built from: where
// named spaces (configs/spaces/) and model devices (configs/devices/) are found.
std::string ConfigsDir();
// A search space by name (configs/spaces/NAME.yaml under ConfigsDir) or YAML path.
SearchSpace LoadSpace(const std::string& name_or_path);

// "fashion-mnist", "cifar10", "synthetic": how the dataset is spelled in config files.
std::string DatasetName(DatasetKind kind);

// One documented config key.
struct ConfigKeyDoc {
  std::string key;            // dotted, e.g. "train.epochs"
  std::string type;           // "an integer in [1, 10000]", "a mapping", ...
  std::string default_value;  // YAML text; empty for mappings
  std::string doc;            // what it means
  bool required = false;
};

// Every config key in schema order (a mapping's row comes before its keys).
std::vector<ConfigKeyDoc> DescribeConfigKeys();

}  // namespace hwnas
