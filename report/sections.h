// What the report shows: an overview of the selected runs (a table and the accuracy/latency
// Pareto front) and, per run, every chart its stored data supports, as Vega-Lite specs
// (report/charts.h) read from the store. No HTML here beyond the overview's table.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "report/charts.h"
#include "results/store.h"

namespace hwnas::report {

struct Chart {
  std::string name;  // unique in the report, e.g. "run-3-training"; names the --specs-dir file
  Spec spec;
};

struct Section {
  std::string id;     // HTML anchor, e.g. "run-3"
  std::string title;  // "run 3: quickstart (proxyless, finished)"
  std::string html;   // escaped HTML shown after the charts (the overview's run table)
  std::vector<Chart> charts;
};

// The overview first, then one section per run in the order given.
std::vector<Section> BuildSections(const results::Store& store, const std::vector<int64_t>& runs);

// The stage a child run of a pipeline stands for: its stored stage, else (stores before schema
// version 3) from its strategy: proxyless -> "search", train -> "retrain", amc -> "prune",
// haq -> "quantize"; other strategies by their name.
std::string StageOf(const results::RunRecord& run);

}  // namespace hwnas::report
