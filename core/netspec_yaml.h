// NetSpec files (configs/nets/*.yaml): hand-written networks, with input channels and spatial
// sizes inferred layer to layer. Errors come as ConfigError with FILE:LINE:COL and the key.
#pragma once

#include <string>

#include "core/netspec.h"

namespace hwnas {

NetSpec LoadNetSpecFile(const std::string& path);
NetSpec NetSpecFromYamlString(const std::string& text, const std::string& display_name);

}  // namespace hwnas
