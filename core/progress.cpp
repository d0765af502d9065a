#include "core/progress.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>

namespace hwnas {

std::string FormatDuration(double seconds) {
  char buffer[32];
  if (seconds < 1.0) {
    std::snprintf(buffer, sizeof buffer, "%.0fms", seconds * 1000.0);
  } else if (seconds < 60.0) {
    std::snprintf(buffer, sizeof buffer, "%.1fs", seconds);
  } else {
    const long whole = static_cast<long>(seconds + 0.5);
    std::snprintf(buffer, sizeof buffer, "%ldm%02lds", whole / 60, whole % 60);
  }
  return buffer;
}

bool ProgressBar::StderrIsTerminal() { return ::isatty(STDERR_FILENO) == 1; }

ProgressBar::ProgressBar(std::string label, int64_t total, bool enabled)
    : label_(std::move(label)),
      total_(total),
      enabled_(enabled),
      terminal_(StderrIsTerminal()),
      start_(Clock::now()),
      last_draw_(start_) {}

void ProgressBar::Update(int64_t done, const std::string& status) {
  if (!enabled_ || !terminal_) return;
  const auto now = Clock::now();
  if (done < total_ && now - last_draw_ < std::chrono::milliseconds(200)) return;
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double fraction = total_ > 0 ? static_cast<double>(done) / total_ : 1.0;
  const int width = 24;
  const int filled = static_cast<int>(fraction * width);
  std::string bar(filled, '#');
  bar.resize(width, '.');
  const double eta = done > 0 ? elapsed * (total_ - done) / done : 0.0;
  std::cerr << "\r\033[K" << label_ << " [" << bar << "] " << done << "/" << total_ << " "
            << FormatDuration(elapsed) << " eta " << FormatDuration(eta);
  if (!status.empty()) std::cerr << "  " << status;
  std::cerr << std::flush;
}

void ProgressBar::Finish(const std::string& summary) {
  if (!enabled_) return;
  if (terminal_) std::cerr << "\r\033[K";
  if (!summary.empty()) std::cerr << summary << '\n';
  std::cerr << std::flush;
}

}  // namespace hwnas
