// Ranking runs by their summary values: --where filters, the default direction of a metric,
// the best run and the Pareto front. Pure functions over RunSummary; no SQLite.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "results/records.h"

namespace hwnas::results {

enum class CompareOp { kLess, kLessEqual, kGreater, kGreaterEqual, kEqual, kNotEqual };

// One "name OP number" term of a --where filter.
struct Condition {
  std::string name;
  CompareOp op = CompareOp::kLess;
  double value = 0;
};

// "latency_ms<=2 and accuracy>0.8" (terms joined by "and" or ","). A malformed term is a
// UsageError that quotes it and shows the accepted syntax. Empty text = no conditions.
std::vector<Condition> ParseWhere(const std::string& text);

// True when every condition holds; a run without a value for a name fails that condition.
bool Satisfies(const SummaryValues& values, const std::vector<Condition>& conditions);

// Names that read as costs (latency, loss, flops, params, size, error, seconds, wait) are
// minimized by default; everything else (accuracy, reward, ...) is maximized.
bool MinimizeByDefault(const std::string& metric);

// Index into `runs` of the best run by `metric`; runs without a finite value are skipped;
// ties go to the older run (smaller id).
std::optional<size_t> FindBest(const std::vector<RunSummary>& runs, const std::string& metric,
                               bool minimize);

// Indices of the runs not dominated in (x minimized, y maximized), sorted by x then y
// descending. Runs without finite x and y are ignored; equal points are all kept.
std::vector<size_t> ParetoFront(const std::vector<RunSummary>& runs, const std::string& x,
                                const std::string& y);

// The names that occur in any run's summary, sorted; for "unknown metric" messages.
std::vector<std::string> SummaryNames(const std::vector<RunSummary>& runs);

}  // namespace hwnas::results
