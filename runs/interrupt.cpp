#include "runs/interrupt.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>

namespace hwnas::runs {
namespace {

std::atomic<bool> g_stop_requested{false};
struct sigaction g_previous_int, g_previous_term;

static_assert(std::atomic<bool>::is_always_lock_free, "the flag is set in a signal handler");

void OnSignal(int signal) {
  if (g_stop_requested.exchange(true)) _exit(128 + signal);  // the second Ctrl-C
  const int saved_errno = errno;
  static const char kMessage[] =
      "\nstopping at the next batch (press Ctrl-C again to quit at once)\n";
  // write() is async-signal-safe; its result does not matter here.
  [[maybe_unused]] ssize_t written = write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
  errno = saved_errno;
}

}  // namespace

InterruptFlag::InterruptFlag() {
  g_stop_requested = false;
  struct sigaction action {};
  action.sa_handler = OnSignal;
  action.sa_flags = SA_RESTART;  // progress output and pipes keep working after Ctrl-C
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &g_previous_int);
  sigaction(SIGTERM, &action, &g_previous_term);
}

InterruptFlag::~InterruptFlag() {
  sigaction(SIGINT, &g_previous_int, nullptr);
  sigaction(SIGTERM, &g_previous_term, nullptr);
}

const std::atomic<bool>* InterruptFlag::flag() const { return &g_stop_requested; }

}  // namespace hwnas::runs
