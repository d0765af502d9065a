// The reference probe: one fixed small network, timed between the measurements of a table or of
// whole networks, so that every latency figure carries the speed the machine ran at when it was
// taken. A table keeps the probe time of its build; an estimate made later is re-based by the
// probe timed now; the probe's spread during a measurement is its stability figure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/netspec.h"

namespace hwnas::latency {

class LatencyTable;

// The probe network ("probe-v1"): a stem, three MBConv blocks and a classifier at 28x28x1, about
// a third of a millisecond on one core. Its name is stored with every probe time; a later probe
// of another name is never compared with it.
const NetSpec& ProbeNet();
inline constexpr const char* kProbeName = "probe-v1";

// Above this spread of the probe during one measurement (percent, (p90 - p10) / median), the
// machine's speed varied more than a +-10% latency can tolerate: the figure is flagged.
inline constexpr double kUnstableSpreadPercent = 10.0;
// Above this ratio between the probe now and the probe of a table's build (either way), the table
// is too far from today's machine for a re-based estimate to be trusted: the user is told.
inline constexpr double kStaleTableRatio = 1.5;

// The probe times taken during one measurement.
struct ProbeSummary {
  double median_ms = 0;
  double min_ms = 0;
  double max_ms = 0;
  double spread_percent = 0;  // (p90 - p10) / median * 100; 0 for a single probe
  int64_t count = 0;

  bool unstable() const { return spread_percent > kUnstableSpreadPercent; }
};

// Probe times in the order taken.
class ProbeLog {
 public:
  void Add(double ms) { times_.push_back(ms); }
  bool empty() const { return times_.empty(); }
  const std::vector<double>& times() const { return times_; }
  // Throws std::logic_error when empty.
  ProbeSummary Summary() const;

 private:
  std::vector<double> times_;
};

// The probe of a table's build, kept in its properties ("probe": {name, median_ms, ...});
// nullopt for a table without one (imported, computed, or measured before probes existed).
std::optional<ProbeSummary> TableProbe(const LatencyTable& table);
void SetTableProbe(LatencyTable& table, const ProbeSummary& probe);

// How much slower the machine runs now than when the table was measured: the fastest probe now
// over the fastest of the table's build (their medians for a table that kept no fastest probe).
// An estimate from the table times this factor is what the network should measure now.
struct Rebase {
  double table_probe_ms = 0;
  double now_probe_ms = 0;
  int64_t probes = 0;      // timed now (0: a factor stored by an earlier start)
  double seconds = 0;      // over this many seconds
  bool by_fastest = true;  // false: the medians compared
  // A factor fixed in advance, used exactly (now / table may differ from it in the last bit, and
  // a resumed or reproduced search must price candidates exactly as before): stored by an earlier
  // start, pinned by the config, or a measured one rounded; 0: none.
  double stored_factor = 0;
  double factor() const {
    return stored_factor > 0 ? stored_factor : now_probe_ms / table_probe_ms;
  }
  bool stale() const { return factor() > kStaleTableRatio || factor() < 1.0 / kStaleTableRatio; }
};

// "re-based x1.042 (fastest probe 0.351 ms now of 212 over 5.0 s, 0.337 ms when the table was
// measured)".
std::string RebaseText(const Rebase& rebase);
// "stability +-1.8% (probe 0.337 ms, 0.331-0.345 over 52 timings)", with a warning appended when
// the spread is above kUnstableSpreadPercent.
std::string StabilityText(const ProbeSummary& probe);

}  // namespace hwnas::latency
