// printf-style formatting into a std::string, for the summaries strategies return and the
// commands print.
#pragma once

#include <string>

namespace hwnas {

std::string StringPrintf(const char* format, ...) __attribute__((format(printf, 1, 2)));

}  // namespace hwnas
