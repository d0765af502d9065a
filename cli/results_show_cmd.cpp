// `hwnas results show RUN`: one run as titled sections (fields, final values, final architecture,
// per-layer latency, pipeline stages, artifacts, config) in text or CSV; JSON is its export.
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/results_common.h"
#include "core/text.h"
#include "results/export.h"
#include "results/run_queries.h"
#include "results/store.h"

namespace hwnas::cli {
namespace {

using Json = nlohmann::ordered_json;
using results::Store;

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
  std::string text =
      Count(counts.metrics, "metric value") + ", " + Count(counts.architectures, "architecture");
  std::string by_role;
  for (const auto& [role, count] : results::ArchitectureRoleCounts(store, id)) {
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
      {"stage", run.stage.empty() ? Cell() : Cell(run.stage)},
      {"source_run", Cell(run.source_run)},
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

std::string JoinFloats(const std::vector<float>& values) {
  std::string text;
  for (float v : values) text += (text.empty() ? "" : " ") + FormatSignificant(v, 4);
  return text;
}

// Classes are listed in label order, "0 T-shirt/top, 1 Trouser, ...", up to 20 of them.
std::string ClassList(const std::vector<std::string>& names) {
  constexpr size_t kShown = 20;
  std::string text;
  for (size_t i = 0; i < names.size() && i < kShown; ++i)
    text += (i ? ", " : "") + std::to_string(i) + " " + names[i];
  if (names.size() > kShown) text += ", ... (" + std::to_string(names.size()) + " in all)";
  return text;
}

Section DataSection(const DatasetRecord& d) {
  std::vector<std::pair<std::string, Cell>> rows = {
      {"dataset", d.name},
      {"path", d.path.empty() ? Cell() : Cell(d.path)},
      {"images",
       std::to_string(d.height) + "x" + std::to_string(d.width) + "x" + std::to_string(d.channels)},
      {"split", std::to_string(d.train_images) + " train, " + std::to_string(d.holdout_images) +
                    " holdout, " + std::to_string(d.test_images) + " test"},
      {"classes", ClassList(d.class_names)},
      {"mean", JoinFloats(d.mean)},
      {"stddev", JoinFloats(d.stddev)}};
  if (!d.skipped_files.empty()) {
    std::string skipped = std::to_string(d.skipped_files.size()) + " unreadable images skipped: ";
    for (size_t i = 0; i < d.skipped_files.size() && i < 5; ++i)
      skipped += (i ? ", " : "") + d.skipped_files[i];
    if (d.skipped_files.size() > 5) skipped += ", ...";
    rows.push_back({"skipped", skipped});
  }
  return {"data", KeyValues(std::move(rows))};
}

Cell JsonCell(const Json& value) {
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_number()) return value.get<double>();
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return Cell();
  return value.dump();
}

// One row per stored layer, as stored.
Section BreakdownSection(const results::LatencyBreakdown& breakdown) {
  Table table{{"#"}, {}};
  table.columns.insert(table.columns.end(), breakdown.columns.begin(), breakdown.columns.end());
  const Json& layers = breakdown.layers;
  for (size_t i = 0; i < layers.size(); ++i) {
    std::vector<Cell> row = {static_cast<int64_t>(i)};
    for (const auto& column : breakdown.columns) {
      row.push_back(layers[i].is_object() && layers[i].contains(column)
                        ? JsonCell(layers[i][column])
                        : Cell());
    }
    table.rows.push_back(std::move(row));
  }
  return {"latency breakdown (NetSpec '" + breakdown.array_name + "')", std::move(table)};
}

Section ArtifactsSection(const std::vector<results::ArtifactRecord>& artifacts) {
  Table table{{"kind", "path", "bytes", "sha256"}, {}};
  for (const auto& a : artifacts) table.rows.push_back({a.kind, a.path, a.bytes, a.sha256});
  return {"artifacts", std::move(table)};
}

Section StagesSection(const std::vector<results::StageRow>& stages) {
  Table t{{"stage", "run", "accuracy", "latency_ms", "device", "flops", "params", "size", "s"}, {}};
  for (const auto& [stage, run, n, seconds] : stages)
    t.rows.push_back({stage, run, Cell(n.accuracy), Cell(n.measured_latency_ms), n.latency_device,
                      n.flops, n.params, n.size_bits, Rounded(seconds)});
  return {"stages (hwnas results lineage for the tree)", std::move(t)};
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
  if (std::optional<DatasetRecord> data = store.Dataset(id)) sections.push_back(DataSection(*data));
  if (std::optional<results::StoredArchitecture> final = results::FinalArchitecture(store, id)) {
    sections.push_back(FinalArchitectureSection(*final));
    if (auto breakdown = results::FindLatencyBreakdown(final->record.netspec_json)) {
      sections.push_back(BreakdownSection(*breakdown));
    }
  }
  const std::vector<results::StageRow> stages = results::PipelineStages(store, id);
  if (!stages.empty()) sections.push_back(StagesSection(stages));
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

}  // namespace

void AddResultsShowCommand(CLI::App& parent, const GlobalOptions& global) {
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
      std::cout << "\nreport: hwnas report " << id << " --out run-" << id << ".html\n";
    }
  });
}

}  // namespace hwnas::cli
