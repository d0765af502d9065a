// `hwnas latency list|show|diff` and the `latency` command itself: reading the device latency
// tables in the results store. Torch-free, so both the front (hwnas) and the engine
// (hwnas-torch) register them; building and importing tables is the engine's (latency_cmd.cpp).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "cli/commands.h"
#include "cli/output.h"
#include "core/errors.h"
#include "results/export.h"
#include "results/store.h"

namespace hwnas::cli {
namespace {

using results::Store;

std::unique_ptr<Store> OpenExistingStore(const GlobalOptions& global) {
  return Store::Open(global.db_path, Store::OpenMode::kExisting);
}

struct ListArgs {
  std::string device;
  OutputFormat format = OutputFormat::kTable;
};

void RunList(const ListArgs& args, const GlobalOptions& global) {
  auto store = OpenExistingStore(global);
  Table table{{"id", "device", "kind", "space", "source", "entries", "created", "fingerprint"}, {}};
  for (const auto& t : store->ListLatencyTables()) {
    if (!args.device.empty() && t.device.name != args.device) continue;
    table.rows.push_back({t.id, t.device.name, t.device.kind, t.space,
                          results::LatencySourceName(t.source), t.entry_count,
                          results::FormatTimestamp(t.created_at), t.device.fingerprint});
  }
  WriteTable(std::cout, table, args.format);
}

// A TABLE argument: a table id, or a device name (its newest table).
int64_t ResolveTable(const Store& store, const std::string& ref) {
  const auto tables = store.ListLatencyTables();
  int64_t newest = 0;
  for (const auto& t : tables) {
    if (std::to_string(t.id) == ref) return t.id;
    if (t.device.name == ref) newest = std::max(newest, t.id);
  }
  if (newest > 0) return newest;
  throw UsageError("unknown latency table '" + ref + "' (see 'hwnas latency list')");
}

struct ShowArgs {
  std::string table;
  std::string key;
  OutputFormat format = OutputFormat::kTable;
};

void RunShow(const ShowArgs& args, const GlobalOptions& global) {
  auto store = OpenExistingStore(global);
  const auto record = store->LoadLatencyTable(ResolveTable(*store, args.table));
  Table table{{"key", "mean", "median", "std", "cv", "p10", "p90", "count", "unit", "predicted"},
              {}};
  for (const auto& e : record.entries) {
    if (!args.key.empty() && e.op_key.find(args.key) == std::string::npos) continue;
    table.rows.push_back({e.op_key, e.mean, e.median, e.stddev,
                          e.mean > 0 ? Cell(e.stddev / e.mean) : Cell(), e.p10, e.p90, e.count,
                          e.unit, e.predicted ? "yes" : "no"});
  }
  if (args.format == OutputFormat::kTable)
    std::cout << "table " << record.id << ": " << record.device.name << " / " << record.space
              << " (" << results::LatencySourceName(record.source) << ", " << record.entries.size()
              << " entries)\n";
  WriteTable(std::cout, table, args.format);
}

struct DiffArgs {
  std::string a, b;
  OutputFormat format = OutputFormat::kTable;
};

void RunDiff(const DiffArgs& args, const GlobalOptions& global) {
  auto store = OpenExistingStore(global);
  const auto a = store->LoadLatencyTable(ResolveTable(*store, args.a));
  const auto b = store->LoadLatencyTable(ResolveTable(*store, args.b));
  std::map<std::string, std::pair<std::optional<double>, std::optional<double>>> rows;
  for (const auto& e : a.entries) rows[e.op_key].first = e.mean;
  for (const auto& e : b.entries) rows[e.op_key].second = e.mean;
  Table table{{"key", "a_mean", "b_mean", "b_over_a"}, {}};
  int64_t common = 0;
  for (const auto& [key, values] : rows) {
    const auto& [va, vb] = values;
    Cell ratio;
    if (va && vb && *va > 0) ratio = Cell(*vb / *va), ++common;
    table.rows.push_back({key, Cell(va), Cell(vb), ratio});
  }
  if (args.format == OutputFormat::kTable)
    std::cout << "a = table " << a.id << " (" << a.device.name << "), b = table " << b.id << " ("
              << b.device.name << "): " << common << " common keys, " << a.entries.size() - common
              << " only in a, " << b.entries.size() - common << " only in b\n";
  WriteTable(std::cout, table, args.format);
}

}  // namespace

CLI::App* AddLatencyGroup(CLI::App& app) {
  auto* latency = app.add_subcommand(
      "latency",
      "Device latency tables: measure a search space on this machine, import tables measured\n"
      "on phones and accelerators, inspect them, and estimate or validate network latency.");
  latency->require_subcommand(1);
  return latency;
}

void AddLatencyReadCommands(CLI::App& parent, const GlobalOptions& global) {
  auto list = std::make_shared<ListArgs>();
  auto* list_cmd = parent.add_subcommand("list", "List the stored latency tables.");
  list_cmd->add_option("--device", list->device, "only tables of this device");
  AddFormatOption(*list_cmd, &list->format);
  list_cmd->callback([list, &global] { RunList(*list, global); });

  auto show = std::make_shared<ShowArgs>();
  auto* show_cmd = parent.add_subcommand(
      "show", "Show the entries of a table (a table id, or a device name for its newest).");
  show_cmd->add_option("table", show->table, "table id or device name")->required();
  show_cmd->add_option("--key", show->key, "only keys containing this text");
  AddFormatOption(*show_cmd, &show->format);
  show_cmd->callback([show, &global] { RunShow(*show, global); });

  auto diff = std::make_shared<DiffArgs>();
  auto* diff_cmd = parent.add_subcommand(
      "diff", "Compare two tables key by key: means side by side and their ratio.");
  diff_cmd->add_option("a", diff->a, "table id or device name")->required();
  diff_cmd->add_option("b", diff->b, "table id or device name")->required();
  AddFormatOption(*diff_cmd, &diff->format);
  diff_cmd->callback([diff, &global] { RunDiff(*diff, global); });
}

}  // namespace hwnas::cli
