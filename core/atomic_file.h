// Writing a file so that readers never see it half-written: the contents go to a temporary file
// beside the target, which is then renamed over it. On failure the old file is untouched.
#pragma once

#include <string>

namespace hwnas {

// Throws IoError naming `what` (e.g. "latency table") and the path.
void WriteFileAtomically(const std::string& path, const std::string& contents,
                         const std::string& what = "file");

}  // namespace hwnas
