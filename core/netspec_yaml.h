// NetSpec files (configs/nets/*.yaml): hand-written networks, with input channels and spatial
// sizes inferred layer to layer. Errors come as ConfigError with FILE:LINE:COL and the key.
#pragma once

#include <string>

#include "core/netspec.h"

namespace hwnas {

NetSpec LoadNetSpecFile(const std::string& path);
NetSpec NetSpecFromYamlString(const std::string& text, const std::string& display_name);
// `net` as a NetSpec file that loads back to an equal NetSpec (mid channels written out, so a
// pruned network round-trips too).
std::string NetSpecToYaml(const NetSpec& net);

}  // namespace hwnas
