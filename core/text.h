// Text helpers shared across the parts: numbers as people read them (FormatSignificant, printf's
// %g with a given number of significant digits), numbers that read back exactly (FormatExact),
// printf into a std::string, and joining names.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace hwnas {

inline std::string FormatSignificant(double value, int significant_digits = 4) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*g", significant_digits, value);
  return text;
}

// The shortest text that reads back as exactly `value` ("0.1", "1e-05"), for stored numbers,
// fingerprints and messages that quote a value.
std::string FormatExact(double value);

// printf-style formatting into a std::string.
std::string StringPrintf(const char* format, ...) __attribute__((format(printf, 1, 2)));

// "a, b, c" with `separator` between the names.
std::string Join(const std::vector<std::string>& names, const std::string& separator = ", ");

}  // namespace hwnas
