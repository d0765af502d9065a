// Progress reporting for long work: a one-line bar with rate and ETA on a terminal, redrawn at
// most a few times per second; nothing but the final summary line when stderr is not a terminal.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace hwnas {

class ProgressBar {
 public:
  // `enabled` false prints nothing at all (e.g. --quiet).
  ProgressBar(std::string label, int64_t total, bool enabled);
  // `done` items of `total` finished; `status` is shown after the bar (e.g. "loss 0.41").
  void Update(int64_t done, const std::string& status = "");
  // Clears the bar and prints `summary` (if any) on its own line.
  void Finish(const std::string& summary);

  static bool StderrIsTerminal();

 private:
  using Clock = std::chrono::steady_clock;
  std::string label_;
  int64_t total_;
  bool enabled_;
  bool terminal_;
  Clock::time_point start_;
  Clock::time_point last_draw_;
};

// "1m05s", "12.3s", "450ms".
std::string FormatDuration(double seconds);

}  // namespace hwnas
