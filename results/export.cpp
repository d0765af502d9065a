#include "results/export.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "results/internal.h"
#include "results/schema.h"

namespace hwnas::results {
namespace {

using Json = nlohmann::ordered_json;

Json Number(double value) { return std::isfinite(value) ? Json(value) : Json(); }

Json Number(const std::optional<double>& value) { return value ? Number(*value) : Json(); }

// Embedded JSON documents (NetSpec, policies) are nested as objects when they parse.
Json Embedded(const std::string& text) {
  if (text.empty()) return nullptr;
  Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  return parsed.is_discarded() ? Json(text) : parsed;
}

Json RunFields(const RunRecord& run) {
  return {{"id", run.id},
          {"name", run.name},
          {"strategy", run.strategy},
          {"status", RunStatusName(run.status)},
          {"parent_run", run.parent_run ? Json(*run.parent_run) : Json()},
          {"stage", run.stage},
          {"source_run", run.source_run ? Json(*run.source_run) : Json()},
          {"device", run.device},
          {"dataset", run.dataset},
          {"seed", run.seed},
          {"engine_version", run.engine_version},
          {"host", run.host},
          {"pid", run.pid},
          {"started_at", FormatTimestamp(run.started_at, true)},
          {"ended_at", run.ended_at ? Json(FormatTimestamp(*run.ended_at, true)) : Json()},
          {"heartbeat_at", FormatTimestamp(run.heartbeat_at, true)},
          {"duration_s", Number(std::round(run.DurationSeconds() * 1000) / 1000)},
          {"error", run.error},
          {"config_hash", run.config_hash},
          {"config_text", run.config_text}};
}

Json ArchitectureJson(const StoredArchitecture& stored) {
  const ArchitectureRecord& r = stored.record;
  return {{"role", r.role},
          {"step", r.step >= 0 ? Json(r.step) : Json()},
          {"arch", r.arch},
          {"flops", Number(r.flops)},
          {"params", Number(r.params)},
          {"size_bits", Number(r.size_bits)},
          {"estimated_latency_ms", Number(r.estimated_latency_ms)},
          {"measured_latency_ms", Number(r.measured_latency_ms)},
          {"latency_device", r.latency_device},
          {"accuracy", Number(r.accuracy)},
          {"recorded_at", FormatTimestamp(stored.recorded_at, true)},
          {"netspec", Embedded(r.netspec_json)}};
}

Json MetricsJson(const std::vector<MetricRecord>& metrics) {
  Json list = Json::array();
  for (const MetricRecord& m : metrics) {
    list.push_back({{"step", m.step},
                    {"name", m.name},
                    {"value", Number(m.value)},
                    {"value_type", MetricValueType(m.value)},
                    {"recorded_at", FormatTimestamp(m.recorded_at, true)}});
  }
  return list;
}

Json EpisodesJson(const std::vector<StoredEpisode>& episodes) {
  Json list = Json::array();
  for (const StoredEpisode& stored : episodes) {
    const EpisodeRecord& e = stored.record;
    list.push_back({{"episode", e.episode},
                    {"reward", Number(e.reward)},
                    {"accuracy", Number(e.accuracy)},
                    {"cost", Number(e.cost)},
                    {"cost_ratio", Number(e.cost_ratio)},
                    {"recorded_at", FormatTimestamp(stored.recorded_at, true)},
                    {"policy", Embedded(e.policy_json)}});
  }
  return list;
}

Json ArtifactsJson(const std::vector<ArtifactRecord>& artifacts) {
  Json list = Json::array();
  for (const ArtifactRecord& a : artifacts) {
    list.push_back({{"kind", a.kind},
                    {"path", a.path},
                    {"sha256", a.sha256},
                    {"bytes", a.bytes},
                    {"recorded_at", FormatTimestamp(a.recorded_at, true)}});
  }
  return list;
}

Json DataJson(const std::optional<DatasetRecord>& data) {
  if (!data) return Json();
  return {{"dataset", data->name},
          {"path", data->path},
          {"height", data->height},
          {"width", data->width},
          {"channels", data->channels},
          {"class_names", data->class_names},
          {"mean", data->mean},
          {"stddev", data->stddev},
          {"train_images", data->train_images},
          {"holdout_images", data->holdout_images},
          {"test_images", data->test_images},
          {"skipped_files", data->skipped_files}};
}

}  // namespace

std::string FormatTimestamp(double seconds_since_epoch, bool millis) {
  if (!std::isfinite(seconds_since_epoch)) return "";
  double whole = std::floor(seconds_since_epoch);
  std::time_t time = static_cast<std::time_t>(whole);
  std::tm utc{};
  gmtime_r(&time, &utc);
  char buffer[40];
  size_t n = std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%S", &utc);
  std::string text(buffer, n);
  if (millis) {
    int ms = std::min(999, static_cast<int>((seconds_since_epoch - whole) * 1000));
    std::snprintf(buffer, sizeof(buffer), ".%03d", ms);
    text += buffer;
  }
  return text + "Z";
}

Json RunToJson(const Store& store, int64_t run_id) {
  Json run = RunFields(store.GetRun(run_id));
  Json summary = Json::object();
  for (const auto& [name, value] : store.Summary(run_id)) summary[name] = Number(value);
  run["summary"] = std::move(summary);
  run["metrics"] = MetricsJson(store.Metrics(run_id));
  Json architectures = Json::array();
  for (const StoredArchitecture& a : store.Architectures(run_id)) {
    architectures.push_back(ArchitectureJson(a));
  }
  run["architectures"] = std::move(architectures);
  run["episodes"] = EpisodesJson(store.Episodes(run_id));
  run["artifacts"] = ArtifactsJson(store.Artifacts(run_id));
  run["data"] = DataJson(store.Dataset(run_id));
  return run;
}

Json ExportRunsJson(const Store& store, const std::vector<int64_t>& run_ids) {
  Json runs = Json::array();
  for (int64_t id : run_ids) runs.push_back(RunToJson(store, id));
  return {{"format", "hwnas-results"},
          {"schema_version", CurrentSchemaVersion()},
          {"runs", std::move(runs)}};
}

}  // namespace hwnas::results
