#include "core/errors.h"

namespace hwnas {
namespace {

std::string JoinDiagnostics(const std::vector<ConfigDiagnostic>& diagnostics) {
  std::string text;
  for (const auto& d : diagnostics) {
    if (!text.empty()) text += '\n';
    text += d.ToString();
  }
  return text;
}

}  // namespace

std::string ConfigDiagnostic::ToString() const {
  std::string where;
  if (!origin.empty()) {
    where = origin;
  } else {
    where = file;
    if (line > 0) where += ":" + std::to_string(line) + ":" + std::to_string(column);
  }
  std::string text = where + ": error: ";
  if (!key.empty()) text += key + ": ";
  return text + message;
}

ConfigError::ConfigError(std::vector<ConfigDiagnostic> diagnostics)
    : Error(ExitCode::kConfigError, JoinDiagnostics(diagnostics)),
      diagnostics_(std::move(diagnostics)) {}

}  // namespace hwnas
