// Devices and latency tables: saved whole in one transaction, read back whole.
#include "core/errors.h"
#include "results/internal.h"
#include "results/sqlite.h"
#include "results/store.h"

namespace hwnas::results {
namespace {

LatencySource ParseSource(const std::string& name) {
  return name == "imported" ? LatencySource::kImported : LatencySource::kMeasured;
}

// The id of (name, fingerprint), inserting the device or refreshing its kind and properties.
int64_t UpsertDevice(Database& db, const DeviceRecord& device) {
  Statement upsert(db,
                   "INSERT INTO devices (name, kind, fingerprint, properties_json, created_at) "
                   "VALUES (?, ?, ?, ?, ?) ON CONFLICT (name, fingerprint) DO UPDATE SET "
                   "kind = excluded.kind, properties_json = excluded.properties_json");
  upsert.Bind(1, device.name).Bind(2, device.kind).Bind(3, device.fingerprint);
  upsert.Bind(4, device.properties_json.empty() ? "{}" : device.properties_json);
  upsert.Bind(5, NowSeconds()).Run();
  Statement select(db, "SELECT id FROM devices WHERE name = ? AND fingerprint = ?");
  select.Bind(1, device.name).Bind(2, device.fingerprint);
  select.Step();
  return select.Int(0);
}

void WriteEntries(Database& db, int64_t table_id, const std::vector<LatencyEntry>& entries) {
  Statement insert(db,
                   "INSERT OR REPLACE INTO latency_entries (table_id, op_key, mean, median, std, "
                   "p10, p90, count, unit, predicted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  for (const LatencyEntry& e : entries) {
    if (e.op_key.empty()) {
      throw DataError("latency table entry without an op key (nothing was saved)");
    }
    insert.Bind(1, table_id).Bind(2, e.op_key).Bind(3, e.mean).Bind(4, e.median);
    insert.Bind(5, e.stddev).Bind(6, e.p10).Bind(7, e.p90).Bind(8, e.count);
    insert.Bind(9, e.unit).Bind(10, e.predicted ? 1 : 0).Run();
    insert.Reset();
  }
}

void RequireTable(Database& db, int64_t table_id) {
  Statement exists(db, "SELECT 1 FROM latency_tables WHERE id = ?");
  exists.Bind(1, table_id);
  if (!exists.Step()) {
    throw UsageError("unknown latency table " + std::to_string(table_id) +
                     " (see 'hwnas latency list')");
  }
}

constexpr const char* kTableColumns =
    "SELECT t.id, d.name, d.kind, d.fingerprint, d.properties_json, t.space, t.source, "
    "t.created_at, t.properties_json, "
    "(SELECT count(*) FROM latency_entries e WHERE e.table_id = t.id) "
    "FROM latency_tables t JOIN devices d ON d.id = t.device_id ";

LatencyTableRecord ReadTable(const Statement& row) {
  LatencyTableRecord table;
  table.id = row.Int(0);
  table.device = {row.Text(1), row.Text(2), row.Text(3), row.Text(4)};
  table.space = row.Text(5);
  table.source = ParseSource(row.Text(6));
  table.created_at = row.Real(7);
  table.properties_json = row.Text(8);
  table.entry_count = row.Int(9);
  return table;
}

}  // namespace

int64_t Store::SaveLatencyTable(const LatencyTableRecord& table) {
  Transaction transaction(*db_);
  int64_t device_id = UpsertDevice(*db_, table.device);
  Statement insert(*db_,
                   "INSERT INTO latency_tables (device_id, fingerprint, space, source, "
                   "created_at, properties_json) VALUES (?, ?, ?, ?, ?, ?)");
  insert.Bind(1, device_id).Bind(2, table.device.fingerprint).Bind(3, table.space);
  insert.Bind(4, LatencySourceName(table.source));
  insert.Bind(5, table.created_at > 0 ? table.created_at : NowSeconds());
  insert.Bind(6, table.properties_json.empty() ? "{}" : table.properties_json).Run();
  int64_t table_id = db_->LastInsertId();
  WriteEntries(*db_, table_id, table.entries);
  transaction.Commit();
  return table_id;
}

void Store::AddLatencyEntries(int64_t table_id, const std::vector<LatencyEntry>& entries) {
  Transaction transaction(*db_);
  RequireTable(*db_, table_id);
  WriteEntries(*db_, table_id, entries);
  transaction.Commit();
}

LatencyTableRecord Store::LoadLatencyTable(int64_t table_id) const {
  Statement select(*db_, std::string(kTableColumns) + "WHERE t.id = ?");
  select.Bind(1, table_id);
  if (!select.Step()) RequireTable(*db_, table_id);
  LatencyTableRecord table = ReadTable(select);
  Statement entries(*db_,
                    "SELECT op_key, mean, median, std, p10, p90, count, unit, predicted "
                    "FROM latency_entries WHERE table_id = ? ORDER BY op_key");
  entries.Bind(1, table_id);
  while (entries.Step()) {
    table.entries.push_back({entries.Text(0), entries.Real(1), entries.Real(2), entries.Real(3),
                             entries.Real(4), entries.Real(5), entries.Int(6), entries.Text(7),
                             entries.Int(8) != 0});
  }
  return table;
}

std::optional<int64_t> Store::FindLatencyTable(const std::string& device,
                                               const std::string& fingerprint,
                                               const std::string& space) const {
  Statement select(*db_,
                   "SELECT t.id FROM latency_tables t JOIN devices d ON d.id = t.device_id "
                   "WHERE d.name = ? AND t.fingerprint = ? AND t.space = ? "
                   "ORDER BY t.created_at DESC, t.id DESC LIMIT 1");
  select.Bind(1, device).Bind(2, fingerprint).Bind(3, space);
  if (!select.Step()) return std::nullopt;
  return select.Int(0);
}

std::vector<LatencyTableRecord> Store::ListLatencyTables() const {
  Statement select(*db_, std::string(kTableColumns) + "ORDER BY t.id");
  std::vector<LatencyTableRecord> tables;
  while (select.Step()) tables.push_back(ReadTable(select));
  return tables;
}

void Store::DeleteLatencyTable(int64_t table_id) {
  Transaction transaction(*db_);
  RequireTable(*db_, table_id);
  Statement entries(*db_, "DELETE FROM latency_entries WHERE table_id = ?");
  entries.Bind(1, table_id).Run();
  Statement table(*db_, "DELETE FROM latency_tables WHERE id = ?");
  table.Bind(1, table_id).Run();
  transaction.Commit();
}

void Store::SetLatencyTableProperties(int64_t table_id, const std::string& properties_json) {
  Transaction transaction(*db_);
  RequireTable(*db_, table_id);
  Statement update(*db_, "UPDATE latency_tables SET properties_json = ? WHERE id = ?");
  update.Bind(1, properties_json).Bind(2, table_id).Run();
  transaction.Commit();
}

}  // namespace hwnas::results
