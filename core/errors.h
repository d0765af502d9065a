// Errors that reach the user. Each error carries the process exit code the CLI returns for it,
// so the code that detects a problem decides how it is reported, and the CLI only maps.
// Exit codes (documented in README.md): 0 ok, 1 other failure, 64 usage, 65 bad input data,
// 74 I/O or database, 75 a rank of a data-parallel job was lost (resumable), 78 invalid
// configuration, 130 interrupted (Ctrl-C; resumable).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace hwnas {

enum class ExitCode : int {
  kOk = 0,
  kFailure = 1,
  kUsage = 64,
  kDataError = 65,
  kIoError = 74,
  kRankLost = 75,  // EX_TEMPFAIL: another process of the job died or stopped answering; retry
  kConfigError = 78,
  kInterrupted = 130,  // 128 + SIGINT, as shells report a process stopped by Ctrl-C
};

class Error : public std::runtime_error {
 public:
  Error(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ExitCode code() const { return code_; }

 private:
  ExitCode code_;
};

// Bad command-line usage: a missing argument, an unknown run id format, a bad --where filter.
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& message) : Error(ExitCode::kUsage, message) {}
};

// Input data that cannot be used: a dataset file, a latency table file, a NetSpec JSON.
class DataError : public Error {
 public:
  explicit DataError(const std::string& message) : Error(ExitCode::kDataError, message) {}
};

// A file or the database cannot be read or written.
class IoError : public Error {
 public:
  explicit IoError(const std::string& message) : Error(ExitCode::kIoError, message) {}
};

// Long work stopped on request (SIGINT/SIGTERM) at a point from which it can be resumed.
// Also a data-parallel job that lost one of its processes (exit code kRankLost).
class Interrupted : public Error {
 public:
  explicit Interrupted(const std::string& message) : Error(ExitCode::kInterrupted, message) {}
  Interrupted(ExitCode code, const std::string& message) : Error(code, message) {}
};

// One problem in a configuration file, located as precisely as the source allows.
// `line`/`column` are 1-based; 0 means unknown. `origin` replaces FILE:LINE:COL when the
// value came from a command-line override (e.g. "override 'train.epochs=x'").
struct ConfigDiagnostic {
  std::string file;
  int line = 0;
  int column = 0;
  std::string origin;
  std::string key;
  std::string message;

  // "FILE:LINE:COL: error: dotted.key: message"
  std::string ToString() const;
};

// Every problem found in one configuration, reported together.
class ConfigError : public Error {
 public:
  explicit ConfigError(std::vector<ConfigDiagnostic> diagnostics);
  const std::vector<ConfigDiagnostic>& diagnostics() const { return diagnostics_; }

 private:
  std::vector<ConfigDiagnostic> diagnostics_;
};

}  // namespace hwnas
