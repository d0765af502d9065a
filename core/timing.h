// Wall-clock timing of the parts of a run (epochs, episodes, batches, table builds): seconds on
// the steady clock since a point, and a stopwatch that hands out laps. Owns no policy about
// what is timed or where the times are reported.
#pragma once

#include <chrono>

namespace hwnas {

inline double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Times consecutive parts of one piece of work: Lap() returns the seconds since the previous
// lap (or construction) and starts the next.
class Stopwatch {
 public:
  double Lap() {
    const auto now = std::chrono::steady_clock::now();
    const double seconds = std::chrono::duration<double>(now - start_).count();
    start_ = now;
    return seconds;
  }
  double Seconds() const { return SecondsSince(start_); }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace hwnas
