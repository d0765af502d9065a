// `hwnas results list|show|best|pareto|compare|export|delete`: answers questions about past
// runs from the results database without re-running anything. Thin over results::Store and
// results/selection.h; every listing prints through cli/output.h in the --format asked for.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "cli/commands.h"
#include "cli/output.h"
#include "core/atomic_file.h"
#include "core/errors.h"
#include "results/export.h"
#include "results/selection.h"
#include "results/store.h"

namespace hwnas::cli {
namespace {

using Json = nlohmann::ordered_json;
using results::RunSummary;
using results::Store;

const char* kRunHelp = "a run id, or a run name that matches exactly one run";

std::unique_ptr<Store> OpenExisting(const GlobalOptions& global) {
  return Store::Open(global.db_path, Store::OpenMode::kExisting);
}

double Rounded(double seconds) { return std::round(seconds * 1000) / 1000; }

Cell Value(const results::SummaryValues& values, const std::string& name) {
  auto it = values.find(name);
  return it == values.end() ? Cell() : Cell(it->second);
}

// "1 episode", "3 episodes".
std::string Count(size_t n, const std::string& noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : ", ") + name;
  return text.empty() ? "none" : text;
}

// --- shared options and columns -----------------------------------------------------------

struct SelectOptions {
  results::RunFilter filter;
  std::string where;
  OutputFormat format = OutputFormat::kTable;
};

void AddFilterOptions(CLI::App& command, SelectOptions* options) {
  results::RunFilter& f = options->filter;
  command.add_option("--strategy", f.strategy, "only runs of this strategy (proxyless, amc, ...)");
  command.add_option("--status", f.status, "only runs with this status")
      ->check(CLI::IsMember({"running", "finished", "failed", "interrupted"}));
  command.add_option("--device", f.device, "only runs on this device (e.g. cpu)");
  command.add_option("--name", f.name,
                     "only runs whose name contains this text, or matches it as a glob when it "
                     "has * ? or [ (e.g. 'quick*')");
  AddFormatOption(command, &options->format);
}

void AddWhereOption(CLI::App& command, SelectOptions* options) {
  command.add_option("--where", options->where,
                     "only runs whose summary values satisfy every condition NAME OP NUMBER, "
                     "OP one of < <= > >= == !=, joined by 'and' or ',' "
                     "(e.g. \"latency_ms<=2 and accuracy>0.8\")");
}

const std::vector<std::string> kRunColumns = {"id",       "name",      "strategy", "status",
                                              "device",   "dataset",   "started",  "duration_s",
                                              "accuracy", "latency_ms"};

std::vector<Cell> RunCells(const RunSummary& summary) {
  const results::RunRecord& run = summary.run;
  return {run.id,
          run.name,
          run.strategy,
          results::RunStatusName(run.status),
          run.device,
          run.dataset,
          results::FormatTimestamp(run.started_at),
          Rounded(run.DurationSeconds()),
          Value(summary.values, "accuracy"),
          Value(summary.values, "latency_ms")};
}

// Runs passing the filters and --where, with their summary values.
std::vector<RunSummary> SelectRuns(const Store& store, const SelectOptions& options,
                                   const std::vector<results::Condition>& conditions) {
  std::vector<RunSummary> selected;
  for (RunSummary& summary : store.ListRunSummaries(options.filter)) {
    if (results::Satisfies(summary.values, conditions)) selected.push_back(std::move(summary));
  }
  return selected;
}

// Explains an empty answer: no runs at all, none left after --where, or a missing metric.
[[noreturn]] void ThrowNothingFound(const Store& store, const SelectOptions& options,
                                    const std::vector<RunSummary>& selected,
                                    const std::string& wanted) {
  if (store.ListRuns(options.filter).empty()) {
    throw Error(ExitCode::kFailure, "no runs match the filters in " + store.path());
  }
  if (selected.empty()) {
    throw Error(ExitCode::kFailure, "no run satisfies --where '" + options.where + "'");
  }
  throw Error(ExitCode::kFailure, "no run has a value for " + wanted + " (known values: " +
                                      JoinNames(results::SummaryNames(selected)) + ")");
}

// --- list ------------------------------------------------------------------------------------

void AddListCommand(CLI::App& parent, const GlobalOptions& global) {
  auto options = std::make_shared<SelectOptions>();
  CLI::App* cmd = parent.add_subcommand(
      "list", "list runs, newest first, with their accuracy and latency (summary values)");
  AddFilterOptions(*cmd, options.get());
  cmd->add_option("--limit", options->filter.limit, "show at most N runs (default: all)")
      ->check(CLI::NonNegativeNumber);
  cmd->footer(
      "Examples:\n  hwnas results list --status finished --limit 10\n"
      "  hwnas results list --name 'quick*' --format csv > runs.csv");
  cmd->callback([options, &global] {
    auto store = OpenExisting(global);
    Table table{kRunColumns, {}};
    for (const RunSummary& summary : store->ListRunSummaries(options->filter)) {
      table.rows.push_back(RunCells(summary));
    }
    WriteTable(std::cout, table, options->format);
  });
}

// --- show ------------------------------------------------------------------------------------

struct Section {
  std::string title;
  Table table;
};

Table KeyValues(std::vector<std::pair<std::string, Cell>> rows) {
  Table table{{"field", "value"}, {}, /*header=*/false};
  for (auto& [key, value] : rows) table.rows.push_back({key, std::move(value)});
  return table;
}

std::string RecordedCounts(const Store& store, int64_t id) {
  results::RunCounts counts = store.Counts(id);
  std::map<std::string, int> roles;
  for (const auto& a : store.Architectures(id)) ++roles[a.record.role];
  std::string text =
      Count(counts.metrics, "metric value") + ", " + Count(counts.architectures, "architecture");
  std::string by_role;
  for (const auto& [role, count] : roles) {
    by_role += (by_role.empty() ? "" : ", ") + role + " " + std::to_string(count);
  }
  if (!by_role.empty()) text += " (" + by_role + ")";
  return text + ", " + Count(counts.episodes, "episode");
}

Section RunSection(const Store& store, const results::RunRecord& run) {
  std::vector<std::pair<std::string, Cell>> rows = {
      {"strategy", run.strategy},
      {"status", results::RunStatusName(run.status)},
      {"parent_run", Cell(run.parent_run)},
      {"device", run.device},
      {"dataset", run.dataset},
      {"seed", run.seed},
      {"started", results::FormatTimestamp(run.started_at)},
      {"ended", run.ended_at ? Cell(results::FormatTimestamp(*run.ended_at)) : Cell()},
      {"duration_s", Rounded(run.DurationSeconds())},
      {"heartbeat", results::FormatTimestamp(run.heartbeat_at)},
      {"host", run.host},
      {"pid", run.pid},
      {"engine_version", run.engine_version},
      {"config_hash", run.config_hash},
      {"recorded", RecordedCounts(store, run.id)}};
  if (!run.error.empty()) rows.push_back({"error", run.error});
  return {"run " + std::to_string(run.id) + ": " + run.name, KeyValues(std::move(rows))};
}

Section FinalArchitectureSection(const results::StoredArchitecture& stored) {
  const ArchitectureRecord& r = stored.record;
  std::string latency_device = r.latency_device.empty() ? "" : " on " + r.latency_device;
  return {"final architecture" + latency_device,
          KeyValues({{"arch", r.arch},
                     {"step", r.step >= 0 ? Cell(r.step) : Cell()},
                     {"flops", r.flops},
                     {"params", r.params},
                     {"size_bits", r.size_bits},
                     {"estimated_latency_ms", Cell(r.estimated_latency_ms)},
                     {"measured_latency_ms", Cell(r.measured_latency_ms)},
                     {"accuracy", Cell(r.accuracy)}})};
}

Cell JsonCell(const Json& value) {
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_number()) return value.get<double>();
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return Cell();
  return value.dump();
}

// Columns of a per-layer breakdown: identifying names first, then every *latency* number.
std::vector<std::string> BreakdownColumns(const Json& layers) {
  static const std::set<std::string> kNameKeys = {"name", "op", "op_key", "key", "kind", "type"};
  std::vector<std::string> names, latencies;
  auto add = [](std::vector<std::string>& list, const std::string& key) {
    if (std::find(list.begin(), list.end(), key) == list.end()) list.push_back(key);
  };
  for (const Json& layer : layers) {
    if (!layer.is_object()) continue;
    for (const auto& [key, value] : layer.items()) {
      if (key.find("latency") != std::string::npos && value.is_number()) add(latencies, key);
      if (kNameKeys.count(key) > 0 && value.is_string()) add(names, key);
    }
  }
  if (latencies.empty()) return {};
  names.insert(names.end(), latencies.begin(), latencies.end());
  return names;
}

// Generic on purpose: any array of objects in the NetSpec JSON whose members carry numbers
// named *latency* is printed as stored, one row per member.
std::optional<Section> LatencyBreakdown(const std::string& netspec_json) {
  Json spec = Json::parse(netspec_json, nullptr, /*allow_exceptions=*/false);
  if (!spec.is_object()) return std::nullopt;
  for (const auto& [key, value] : spec.items()) {
    if (!value.is_array()) continue;
    std::vector<std::string> columns = BreakdownColumns(value);
    if (columns.empty()) continue;
    Table table{{"#"}, {}};
    table.columns.insert(table.columns.end(), columns.begin(), columns.end());
    for (size_t i = 0; i < value.size(); ++i) {
      std::vector<Cell> row = {static_cast<int64_t>(i)};
      for (const auto& column : columns) {
        row.push_back(value[i].is_object() && value[i].contains(column) ? JsonCell(value[i][column])
                                                                        : Cell());
      }
      table.rows.push_back(std::move(row));
    }
    return Section{"latency breakdown (NetSpec '" + key + "')", std::move(table)};
  }
  return std::nullopt;
}

Section ArtifactsSection(const std::vector<results::ArtifactRecord>& artifacts) {
  Table table{{"kind", "path", "bytes", "sha256"}, {}};
  for (const auto& a : artifacts) table.rows.push_back({a.kind, a.path, a.bytes, a.sha256});
  return {"artifacts", std::move(table)};
}

Section ConfigSection(const std::string& config_text) {
  Table table{{"line"}, {}, /*header=*/false};
  std::istringstream lines(config_text);
  for (std::string line; std::getline(lines, line);) table.rows.push_back({line});
  return {"config", std::move(table)};
}

std::vector<Section> ShowSections(const Store& store, int64_t id) {
  results::RunRecord run = store.GetRun(id);
  std::vector<Section> sections = {RunSection(store, run)};
  std::vector<std::pair<std::string, Cell>> values;
  for (const auto& [name, value] : store.Summary(id)) values.push_back({name, value});
  if (!values.empty()) sections.push_back({"final values", KeyValues(std::move(values))});
  auto architectures = store.Architectures(id);
  for (auto it = architectures.rbegin(); it != architectures.rend(); ++it) {
    if (it->record.role != "final") continue;
    sections.push_back(FinalArchitectureSection(*it));
    if (auto breakdown = LatencyBreakdown(it->record.netspec_json)) {
      sections.push_back(std::move(*breakdown));
    }
    break;
  }
  auto artifacts = store.Artifacts(id);
  if (!artifacts.empty()) sections.push_back(ArtifactsSection(artifacts));
  if (!run.config_text.empty()) sections.push_back(ConfigSection(run.config_text));
  return sections;
}

void WriteSectionsText(std::ostream& out, const std::vector<Section>& sections) {
  for (size_t i = 0; i < sections.size(); ++i) {
    if (i > 0) out << '\n';
    out << sections[i].title << '\n';
    std::ostringstream body;
    WriteTable(body, sections[i].table, OutputFormat::kTable);
    std::istringstream lines(body.str());
    for (std::string line; std::getline(lines, line);) out << "  " << line << '\n';
  }
}

// CSV of show: one (section, field, value) record per cell; a row of a multi-column section
// is named by its first cell, e.g. ("artifacts", "weights.path", "run-3/weights.pt").
Table FlattenSections(const std::vector<Section>& sections) {
  Table flat{{"section", "field", "value"}, {}};
  for (const Section& s : sections) {
    const Table& t = s.table;
    for (size_t r = 0; r < t.rows.size(); ++r) {
      if (t.columns.size() <= 2) {
        std::string field = t.columns.size() == 2 ? t.rows[r][0].ExactText() : t.columns[0];
        flat.rows.push_back({s.title, field, t.rows[r].back()});
        continue;
      }
      for (size_t c = 1; c < t.columns.size(); ++c) {
        flat.rows.push_back({s.title, t.rows[r][0].ExactText() + "." + t.columns[c], t.rows[r][c]});
      }
    }
  }
  return flat;
}

void AddShowCommand(CLI::App& parent, const GlobalOptions& global) {
  auto run = std::make_shared<std::string>();
  auto format = std::make_shared<OutputFormat>(OutputFormat::kTable);
  CLI::App* cmd = parent.add_subcommand(
      "show",
      "show one run: its fields, final values, final architecture (FLOPs, params, latency, "
      "per-layer latency when stored), artifacts and resolved config");
  cmd->add_option("run", *run, kRunHelp)->required();
  AddFormatOption(*cmd, format.get());
  cmd->footer(
      "JSON is the same document as 'hwnas results export RUN' for one run; CSV has one\n"
      "(section, field, value) record per value shown.");
  cmd->callback([run, format, &global] {
    auto store = OpenExisting(global);
    int64_t id = store->ResolveRun(*run);
    if (*format == OutputFormat::kJson) {
      std::cout << results::RunToJson(*store, id).dump(2) << '\n';
    } else if (*format == OutputFormat::kCsv) {
      WriteTable(std::cout, FlattenSections(ShowSections(*store, id)), OutputFormat::kCsv);
    } else {
      WriteSectionsText(std::cout, ShowSections(*store, id));
    }
  });
}

// --- best ------------------------------------------------------------------------------------

struct BestOptions : SelectOptions {
  std::string metric;
  bool minimize = false;
  bool maximize = false;
};

// The run columns, then the ranked metric and every --where name not shown already.
std::vector<std::string> ColumnsWith(const std::vector<std::string>& extra) {
  std::vector<std::string> columns = kRunColumns;
  for (const auto& name : extra) {
    if (std::find(columns.begin(), columns.end(), name) == columns.end()) columns.push_back(name);
  }
  return columns;
}

void RunBest(const BestOptions& options, const GlobalOptions& global) {
  auto conditions = results::ParseWhere(options.where);
  bool minimize =
      options.minimize || (!options.maximize && results::MinimizeByDefault(options.metric));
  auto store = OpenExisting(global);
  auto selected = SelectRuns(*store, options, conditions);
  auto best = results::FindBest(selected, options.metric, minimize);
  if (!best) ThrowNothingFound(*store, options, selected, "'" + options.metric + "'");

  std::vector<std::string> extra = {options.metric};
  for (const auto& c : conditions) extra.push_back(c.name);
  Table table{ColumnsWith(extra), {}};
  std::vector<Cell> row = RunCells(selected[*best]);
  for (size_t c = row.size(); c < table.columns.size(); ++c) {
    row.push_back(Value(selected[*best].values, table.columns[c]));
  }
  table.rows.push_back(std::move(row));
  WriteTable(std::cout, table, options.format);
}

void AddBestCommand(CLI::App& parent, const GlobalOptions& global) {
  auto options = std::make_shared<BestOptions>();
  CLI::App* cmd = parent.add_subcommand(
      "best", "the run with the best value of a metric, among the runs that pass the filters");
  cmd->add_option("--metric", options->metric,
                  "summary value to rank by (accuracy, latency_ms, test_accuracy, flops, ...)")
      ->required();
  AddWhereOption(*cmd, options.get());
  auto* min = cmd->add_flag("--min", options->minimize, "smaller is better");
  auto* max = cmd->add_flag("--max", options->maximize, "larger is better");
  min->excludes(max);
  AddFilterOptions(*cmd, options.get());
  cmd->footer(
      "Direction: names containing latency, loss, flops, params, size, error, seconds or wait\n"
      "are minimized unless --max is given; anything else is maximized unless --min.\n"
      "Ties go to the older run. Exit code 1 when no run qualifies.\n"
      "Example:\n  hwnas results best --metric accuracy --where \"latency_ms<=2, flops<3e8\"");
  cmd->callback([options, &global] { RunBest(*options, global); });
}

// --- pareto ----------------------------------------------------------------------------------

struct ParetoOptions : SelectOptions {
  std::string x = "latency_ms";
  std::string y = "accuracy";
};

void RunPareto(const ParetoOptions& options, const GlobalOptions& global) {
  if (options.x == options.y) throw UsageError("--x and --y must name different values");
  auto conditions = results::ParseWhere(options.where);
  auto store = OpenExisting(global);
  auto selected = SelectRuns(*store, options, conditions);
  auto front = results::ParetoFront(selected, options.x, options.y);
  if (front.empty()) {
    ThrowNothingFound(*store, options, selected,
                      "both '" + options.x + "' and '" + options.y + "'");
  }
  Table table{{"id", "name", "strategy", "status", "device", options.x, options.y}, {}};
  for (size_t index : front) {
    const RunSummary& s = selected[index];
    table.rows.push_back({s.run.id, s.run.name, s.run.strategy,
                          results::RunStatusName(s.run.status), s.run.device,
                          Value(s.values, options.x), Value(s.values, options.y)});
  }
  WriteTable(std::cout, table, options.format);
}

void AddParetoCommand(CLI::App& parent, const GlobalOptions& global) {
  auto options = std::make_shared<ParetoOptions>();
  CLI::App* cmd = parent.add_subcommand(
      "pareto", "the runs no other run beats on both x (minimized) and y (maximized)");
  cmd->add_option("--x", options->x, "summary value to minimize")->capture_default_str();
  cmd->add_option("--y", options->y, "summary value to maximize")->capture_default_str();
  AddWhereOption(*cmd, options.get());
  AddFilterOptions(*cmd, options.get());
  cmd->footer(
      "Prints the non-dominated runs sorted by x. Runs without both values are skipped.\n"
      "Example:\n  hwnas results pareto --x latency_ms --y accuracy --device cpu");
  cmd->callback([options, &global] { RunPareto(*options, global); });
}

// --- compare ---------------------------------------------------------------------------------

Table CompareTable(const Store& store, const std::vector<int64_t>& ids) {
  std::vector<RunSummary> runs;
  for (int64_t id : ids) runs.push_back({store.GetRun(id), store.Summary(id)});
  Table table{{"field"}, {}};
  for (const auto& r : runs) table.columns.push_back(std::to_string(r.run.id));
  auto add_row = [&](const std::string& field, auto cell_of) {
    std::vector<Cell> row = {field};
    for (const auto& r : runs) row.push_back(cell_of(r));
    table.rows.push_back(std::move(row));
  };
  add_row("name", [](const RunSummary& r) { return Cell(r.run.name); });
  add_row("strategy", [](const RunSummary& r) { return Cell(r.run.strategy); });
  add_row("status", [](const RunSummary& r) { return Cell(results::RunStatusName(r.run.status)); });
  add_row("device", [](const RunSummary& r) { return Cell(r.run.device); });
  add_row("dataset", [](const RunSummary& r) { return Cell(r.run.dataset); });
  add_row("seed", [](const RunSummary& r) { return Cell(r.run.seed); });
  add_row("started",
          [](const RunSummary& r) { return Cell(results::FormatTimestamp(r.run.started_at)); });
  add_row("duration_s", [](const RunSummary& r) { return Cell(Rounded(r.run.DurationSeconds())); });
  add_row("config_hash", [](const RunSummary& r) { return Cell(r.run.config_hash.substr(0, 16)); });
  for (const std::string& name : results::SummaryNames(runs)) {
    add_row(name, [&](const RunSummary& r) { return Value(r.values, name); });
  }
  return table;
}

void AddCompareCommand(CLI::App& parent, const GlobalOptions& global) {
  auto refs = std::make_shared<std::vector<std::string>>();
  auto format = std::make_shared<OutputFormat>(OutputFormat::kTable);
  CLI::App* cmd = parent.add_subcommand(
      "compare", "runs side by side: one column per run, one row per field and summary value");
  cmd->add_option("runs", *refs, "two or more runs (ids or names)")->required();
  AddFormatOption(*cmd, format.get());
  cmd->footer("Example:\n  hwnas results compare 3 7 quick-proxyless --format csv");
  cmd->callback([refs, format, &global] {
    auto store = OpenExisting(global);
    std::vector<int64_t> ids;
    for (const auto& ref : *refs) ids.push_back(store->ResolveRun(ref));
    WriteTable(std::cout, CompareTable(*store, ids), *format);
  });
}

// --- export ----------------------------------------------------------------------------------

struct ExportOptions {
  std::string run;
  bool all = false;
  std::string format = "json";
  std::string out;
};

// The metrics long table: one record per reported value.
std::string MetricsCsv(const Store& store, const std::vector<int64_t>& ids) {
  Table table{{"run_id", "run_name", "step", "name", "value", "recorded_at"}, {}};
  for (int64_t id : ids) {
    std::string name = store.GetRun(id).name;
    for (const auto& m : store.Metrics(id)) {
      table.rows.push_back(
          {id, name, m.step, m.name, m.value, results::FormatTimestamp(m.recorded_at, true)});
    }
  }
  std::ostringstream out;
  WriteTable(out, table, OutputFormat::kCsv);
  return out.str();
}

void RunExport(const ExportOptions& options, const GlobalOptions& global) {
  if (options.all == !options.run.empty()) {
    throw UsageError("export needs either a RUN or --all");
  }
  auto store = OpenExisting(global);
  std::vector<int64_t> ids;
  if (options.all) {
    for (const auto& run : store->ListRuns()) ids.insert(ids.begin(), run.id);  // oldest first
  } else {
    ids.push_back(store->ResolveRun(options.run));
  }
  std::string text = options.format == "csv" ? MetricsCsv(*store, ids)
                                             : results::ExportRunsJson(*store, ids).dump(2) + "\n";
  if (options.out.empty()) {
    std::cout << text;
    return;
  }
  WriteFileAtomically(options.out, text, "export");
  std::cout << "exported " << ids.size() << (ids.size() == 1 ? " run" : " runs") << " to "
            << options.out << '\n';
}

void AddExportCommand(CLI::App& parent, const GlobalOptions& global) {
  auto options = std::make_shared<ExportOptions>();
  CLI::App* cmd = parent.add_subcommand(
      "export", "everything about one run (or --all runs) as JSON, or their metrics as CSV");
  cmd->add_option("run", options->run, kRunHelp);
  cmd->add_flag("--all", options->all, "export every run, oldest first");
  cmd->add_option("--format", options->format,
                  "json: runs with fields, summary, metrics, architectures, episodes, "
                  "artifacts; csv: the metrics as one record per value "
                  "(run_id,run_name,step,name,value,recorded_at)")
      ->check(CLI::IsMember({"json", "csv"}))
      ->capture_default_str();
  cmd->add_option("--out", options->out,
                  "write to this file (atomically: a temporary file renamed into place) "
                  "instead of standard output");
  cmd->footer(
      "Examples:\n  hwnas results export 3 > run3.json\n"
      "  hwnas results export --all --format csv --out metrics.csv");
  cmd->callback([options, &global] { RunExport(*options, global); });
}

// --- delete ----------------------------------------------------------------------------------

void RunDelete(const std::string& ref, bool force, const GlobalOptions& global) {
  auto store = OpenExisting(global);
  int64_t id = store->ResolveRun(ref);
  results::RunRecord run = store->GetRun(id);
  if (run.status == results::RunStatus::kRunning && !force) {
    throw UsageError("run " + std::to_string(id) + " is still running (pid " +
                     std::to_string(run.pid) + " on " + run.host +
                     "); stop it first, or pass --force");
  }
  results::DeletedRun deleted = store->DeleteRun(id);
  std::cout << "deleted run " << id << " (" << run.name
            << "): " << Count(deleted.metrics, "metric value") << ", "
            << Count(deleted.architectures, "architecture") << ", "
            << Count(deleted.episodes, "episode") << ", "
            << Count(deleted.artifacts, "artifact record");
  if (deleted.child_runs_unlinked > 0) {
    std::cout << "; cleared the parent_run of " << Count(deleted.child_runs_unlinked, "child run");
  }
  std::cout << "\n";
  if (deleted.artifacts > 0) std::cout << "artifact files on disk were kept\n";
}

void AddDeleteCommand(CLI::App& parent, const GlobalOptions& global) {
  auto ref = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);
  CLI::App* cmd = parent.add_subcommand(
      "delete", "remove a run and all it recorded, in one transaction (does not ask)");
  cmd->add_option("run", *ref, kRunHelp)->required();
  cmd->add_flag("--force", *force, "also delete a run whose process is still running");
  cmd->footer("Artifact files (weights, checkpoints) stay on disk; only their records go.");
  cmd->callback([ref, force, &global] { RunDelete(*ref, *force, global); });
}

}  // namespace

void AddResultsCommands(CLI::App& app, const GlobalOptions& global) {
  CLI::App* results = app.add_subcommand(
      "results", "query past runs: list, show, best, pareto, compare, export, delete");
  results->require_subcommand(1);
  results->footer(
      "Summary values of a run: every metric at its largest step, overlaid by the final\n"
      "architecture (accuracy, latency_ms, estimated_latency_ms, measured_latency_ms, flops,\n"
      "params, size_bits). Commands that only read never create the database.");
  AddListCommand(*results, global);
  AddShowCommand(*results, global);
  AddBestCommand(*results, global);
  AddParetoCommand(*results, global);
  AddCompareCommand(*results, global);
  AddExportCommand(*results, global);
  AddDeleteCommand(*results, global);
}

}  // namespace hwnas::cli
