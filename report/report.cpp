#include "report/report.h"

#include <algorithm>
#include <filesystem>

#include "core/atomic_file.h"
#include "core/errors.h"
#include "report/page.h"
#include "report/sections.h"
#include "results/run_queries.h"
#include "results/selection.h"
#include "results/store.h"

namespace hwnas::report {
namespace {

using results::Store;

void CheckOptions(const ReportOptions& options) {
  if (options.out.empty()) throw UsageError("hwnas report needs --out FILE.html");
  if (options.all == !options.runs.empty())
    throw UsageError(options.all ? "give either runs or --all, not both"
                                 : "give the runs to report (ids or names) or --all");
}

// Every run passing the conditions, oldest first.
std::vector<int64_t> AllRuns(const Store& store, const ReportOptions& options,
                             const std::vector<results::Condition>& conditions) {
  if (store.ListRuns().empty())
    throw Error(ExitCode::kFailure, "nothing to report: " + store.path() + " has no runs");
  std::vector<int64_t> ids;
  for (const auto& summary : results::SelectRuns(store, {}, conditions))
    ids.push_back(summary.run.id);
  if (ids.empty())
    throw Error(ExitCode::kFailure, "no run satisfies --where '" + options.where + "'");
  std::reverse(ids.begin(), ids.end());
  return ids;
}

// The named runs passing the conditions, each followed by the runs of its stages (children).
std::vector<int64_t> NamedRuns(const Store& store, const ReportOptions& options,
                               const std::vector<results::Condition>& conditions) {
  std::vector<int64_t> named;
  for (const std::string& reference : options.runs) {
    const int64_t id = store.ResolveRun(reference);
    if (std::find(named.begin(), named.end(), id) == named.end() &&
        results::Satisfies(store.Summary(id), conditions))
      named.push_back(id);
  }
  if (named.empty())
    throw Error(ExitCode::kFailure, "no run satisfies --where '" + options.where + "'");
  const std::vector<results::RunRecord> every = store.ListRuns();
  std::vector<int64_t> ids;
  for (int64_t id : named) {
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
    for (auto it = every.rbegin(); it != every.rend(); ++it)
      if (it->parent_run == id && std::find(ids.begin(), ids.end(), it->id) == ids.end())
        ids.push_back(it->id);
  }
  return ids;
}

void WriteSpecs(const std::string& dir, const std::vector<Section>& sections) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) throw IoError("cannot create " + dir + ": " + error.message());
  for (const Section& section : sections)
    for (const Chart& chart : section.charts)
      WriteFileAtomically(dir + "/" + chart.name + ".vl.json", chart.spec.dump(2) + "\n",
                          "chart spec");
}

}  // namespace

ReportSummary WriteReport(const ReportOptions& options) {
  CheckOptions(options);
  const std::vector<results::Condition> conditions = results::ParseWhere(options.where);
  const auto store = Store::Open(options.db_path, Store::OpenMode::kExisting);
  ReportSummary summary;
  summary.runs =
      options.all ? AllRuns(*store, options, conditions) : NamedRuns(*store, options, conditions);
  const std::vector<Section> sections = BuildSections(*store, summary.runs);
  for (const Section& section : sections) summary.charts += section.charts.size();
  const std::string page = RenderPage(
      options.title.empty() ? "hwnas report: " + options.db_path : options.title, sections);
  if (!options.specs_dir.empty()) WriteSpecs(options.specs_dir, sections);
  WriteFileAtomically(options.out, page, "report");
  summary.bytes = static_cast<int64_t>(page.size());
  return summary;
}

}  // namespace hwnas::report
