// RunRecorder: the Reporter that writes one run's progress into the store.
#include <cmath>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "core/sha256.h"
#include "results/internal.h"

namespace hwnas::results {
namespace {

namespace fs = std::filesystem;

// Artifacts inside the database's directory are stored relative to it, so a results folder
// can be moved or copied as a whole; anything else is stored as an absolute path.
std::string StoredArtifactPath(const std::string& db_path, const std::string& path) {
  fs::path absolute = fs::absolute(path).lexically_normal();
  fs::path db_dir = fs::absolute(db_path).parent_path().lexically_normal();
  fs::path relative = absolute.lexically_relative(db_dir);
  if (!relative.empty() && *relative.begin() != "..") return relative.string();
  return absolute.string();
}

class RunRecorder : public Reporter {
 public:
  RunRecorder(Database& db, int64_t run_id) : db_(db), run_id_(run_id) {}

  void OnMetrics(int64_t step, const MetricValues& values) override {
    Transaction transaction(db_);
    double now = NowSeconds();
    Statement insert(db_,
                     "INSERT INTO metrics (run_id, step, name, value, value_type, recorded_at) "
                     "VALUES (?, ?, ?, ?, ?, ?)");
    for (const auto& [name, value] : values) {
      insert.Bind(1, run_id_).Bind(2, step).Bind(3, name).Bind(4, value);
      insert.Bind(5, MetricValueType(value)).Bind(6, now).Run();
      insert.Reset();
    }
    Commit(transaction, now);
  }

  void OnArchitecture(const ArchitectureRecord& r) override {
    Transaction transaction(db_);
    double now = NowSeconds();
    Statement insert(db_,
                     "INSERT INTO architectures (run_id, role, step, arch, netspec_json, flops, "
                     "params, size_bits, estimated_latency_ms, measured_latency_ms, "
                     "latency_device, accuracy, recorded_at) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    insert.Bind(1, run_id_).Bind(2, r.role);
    insert.Bind(3, r.step >= 0 ? std::optional<int64_t>(r.step) : std::nullopt);
    insert.Bind(4, r.arch).Bind(5, r.netspec_json).Bind(6, r.flops).Bind(7, r.params);
    insert.Bind(8, r.size_bits).Bind(9, r.estimated_latency_ms).Bind(10, r.measured_latency_ms);
    insert.Bind(11, r.latency_device).Bind(12, r.accuracy).Bind(13, now).Run();
    Commit(transaction, now);
  }

  void OnEpisode(const EpisodeRecord& r) override {
    Transaction transaction(db_);
    double now = NowSeconds();
    Statement insert(db_,
                     "INSERT INTO episodes (run_id, episode, reward, accuracy, cost, cost_ratio, "
                     "policy_json, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    insert.Bind(1, run_id_).Bind(2, r.episode).Bind(3, r.reward).Bind(4, r.accuracy);
    insert.Bind(5, r.cost).Bind(6, r.cost_ratio).Bind(7, r.policy_json).Bind(8, now).Run();
    Commit(transaction, now);
  }

  // A run records its data once; a nested phase that reloads the same data replaces the row.
  void OnDataset(const DatasetRecord& r) override {
    using Json = nlohmann::json;
    Transaction transaction(db_);
    double now = NowSeconds();
    Statement insert(db_,
                     "INSERT OR REPLACE INTO run_datasets (run_id, name, path, height, width, "
                     "channels, class_names, mean, stddev, train_images, holdout_images, "
                     "test_images, skipped_files, recorded_at) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    insert.Bind(1, run_id_).Bind(2, r.name).Bind(3, r.path).Bind(4, r.height).Bind(5, r.width);
    insert.Bind(6, r.channels).Bind(7, Json(r.class_names).dump()).Bind(8, Json(r.mean).dump());
    insert.Bind(9, Json(r.stddev).dump()).Bind(10, r.train_images).Bind(11, r.holdout_images);
    insert.Bind(12, r.test_images).Bind(13, Json(r.skipped_files).dump()).Bind(14, now).Run();
    Commit(transaction, now);
  }

  // Hashes the file before taking the write lock: reading a large file can take a while.
  void OnArtifact(const std::string& kind, const std::string& path) override {
    uint64_t bytes = 0;
    std::string sha256 = Sha256FileHex(path, &bytes);
    Transaction transaction(db_);
    double now = NowSeconds();
    Statement insert(db_,
                     "INSERT INTO artifacts (run_id, kind, path, sha256, bytes, recorded_at) "
                     "VALUES (?, ?, ?, ?, ?, ?)");
    insert.Bind(1, run_id_).Bind(2, kind).Bind(3, StoredArtifactPath(db_.path(), path));
    insert.Bind(4, sha256).Bind(5, static_cast<int64_t>(bytes)).Bind(6, now).Run();
    Commit(transaction, now);
  }

 private:
  // The heartbeat moves in the same transaction as the data it vouches for.
  void Commit(Transaction& transaction, double now) {
    Statement heartbeat(db_, "UPDATE runs SET heartbeat_at = ? WHERE id = ?");
    heartbeat.Bind(1, now).Bind(2, run_id_).Run();
    transaction.Commit();
  }

  Database& db_;
  int64_t run_id_;
};

}  // namespace

std::unique_ptr<Reporter> MakeRunRecorder(Database& db, int64_t run_id) {
  RequireRun(db, run_id);
  return std::make_unique<RunRecorder>(db, run_id);
}

}  // namespace hwnas::results
