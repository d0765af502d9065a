// Numbers as people read them in messages, progress lines and logs: printf's %g with a given
// number of significant digits ("0.5", "1.235e+06"). Not for stored values (latency/ writes
// numbers that read back exactly).
#pragma once

#include <cstdio>
#include <string>

namespace hwnas {

inline std::string FormatSignificant(double value, int significant_digits = 4) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*g", significant_digits, value);
  return text;
}

}  // namespace hwnas
