// Ctrl-C for long commands: while an InterruptFlag lives, SIGINT and SIGTERM only raise a flag
// that training loops check between batches, so a run stops at a clean point and is stored as
// interrupted (resumable). A second signal ends the process at once.
#pragma once

#include <atomic>

namespace hwnas::runs {

class InterruptFlag {
 public:
  InterruptFlag();   // installs the handlers
  ~InterruptFlag();  // restores the previous ones
  InterruptFlag(const InterruptFlag&) = delete;
  InterruptFlag& operator=(const InterruptFlag&) = delete;

  const std::atomic<bool>* flag() const;
};

}  // namespace hwnas::runs
