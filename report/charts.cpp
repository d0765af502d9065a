#include "report/charts.h"

#include <algorithm>
#include <cmath>

#include "results/selection.h"

namespace hwnas::report {
namespace {

constexpr const char* kSchema = "https://vega.github.io/schema/vega-lite/v6.json";
constexpr int kWidth = 520;
constexpr int kHeight = 280;

Spec Base(const std::string& title, Spec values) {
  return Spec{{"$schema", kSchema},
              {"title", title},
              {"width", kWidth},
              {"height", kHeight},
              {"data", {{"values", std::move(values)}}}};
}

Spec Field(const std::string& field, const std::string& type, const std::string& title = "") {
  Spec f{{"field", field}, {"type", type}};
  if (!title.empty()) f["title"] = title;
  return f;
}

// A nominal axis that keeps the order of the data instead of sorting alphabetically.
Spec InDataOrder(const std::string& field, const std::string& title) {
  Spec f = Field(field, "nominal", title);
  f["sort"] = nullptr;
  return f;
}

Spec Tooltip(std::initializer_list<const char*> fields) {
  Spec list = Spec::array();
  for (const char* f : fields) list.push_back({{"field", f}});
  return list;
}

// Indices of the points on the Pareto front of their device.
std::vector<bool> OnFront(const std::vector<ParetoPoint>& points) {
  std::vector<bool> front(points.size(), false);
  std::vector<std::string> devices;
  for (const auto& p : points)
    if (std::find(devices.begin(), devices.end(), p.device) == devices.end())
      devices.push_back(p.device);
  for (const std::string& device : devices) {
    std::vector<results::RunSummary> runs;
    std::vector<size_t> index;
    for (size_t i = 0; i < points.size(); ++i) {
      if (points[i].device != device) continue;
      results::RunSummary s;
      s.values = {{"latency_ms", points[i].latency_ms}, {"accuracy", points[i].accuracy}};
      runs.push_back(s);
      index.push_back(i);
    }
    for (size_t i : results::ParetoFront(runs, "latency_ms", "accuracy")) front[index[i]] = true;
  }
  return front;
}

Spec SeriesValues(const std::vector<SeriesPoint>& points, const std::string& panel) {
  Spec values = Spec::array();
  for (const auto& p : points)
    values.push_back(
        {{"step", p.step}, {"series", p.series}, {"value", p.value}, {"panel", panel}});
  return values;
}

Spec SeriesPanel(const std::string& panel, const std::string& y_title) {
  return Spec{{"width", kWidth / 2 + 20},
              {"height", kHeight - 40},
              {"title", panel},
              {"transform", {{{"filter", {{"field", "panel"}, {"equal", panel}}}}}},
              {"mark", {{"type", "line"}, {"point", true}}},
              {"encoding",
               {{"x", Field("step", "quantitative", "step (epoch or episode)")},
                {"y", Field("value", "quantitative", y_title)},
                {"color", Field("series", "nominal", "series")},
                {"tooltip", Tooltip({"series", "step", "value"})}}}};
}

// Bars of one policy quantity per item, the policies side by side.
Spec PolicyBars(const std::string& y_title) {
  return Spec{{"mark", "bar"},
              {"encoding",
               {{"x", InDataOrder("item", "")},
                {"xOffset", Field("policy", "nominal")},
                {"y", Field("value", "quantitative", y_title)},
                {"color", Field("policy", "nominal", "policy")},
                {"tooltip", Tooltip({"item", "policy", "quantity", "value"})}}}};
}

Spec PolicyValues(const std::vector<PolicyBar>& bars) {
  Spec values = Spec::array();
  for (const auto& b : bars)
    values.push_back(
        {{"item", b.item}, {"policy", b.policy}, {"quantity", b.quantity}, {"value", b.value}});
  return values;
}

std::string Fixed(std::optional<double> value, double scale, int decimals) {
  if (!value || !std::isfinite(*value)) return "-";
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, *value * scale);
  return text;
}

}  // namespace

Spec ParetoChart(const std::vector<ParetoPoint>& points) {
  const std::vector<bool> front = OnFront(points);
  Spec values = Spec::array();
  for (size_t i = 0; i < points.size(); ++i) {
    const ParetoPoint& p = points[i];
    values.push_back({{"run", p.run},
                      {"label", p.label},
                      {"device", p.device},
                      {"kind", p.kind},
                      {"latency_ms", p.latency_ms},
                      {"accuracy", p.accuracy},
                      {"latency_source", p.latency_source},
                      {"front", static_cast<bool>(front[i])}});
  }
  Spec x = Field("latency_ms", "quantitative", "latency (ms)");
  Spec y = Field("accuracy", "quantitative", "test accuracy");
  y["scale"] = {{"zero", false}};
  y["axis"] = {{"format", ".1%"}};
  Spec spec = Base("Accuracy against latency, Pareto front per device", std::move(values));
  spec["layer"] = {
      {{"transform", {{{"filter", "datum.front"}}}},
       {"mark", {{"type", "line"}, {"interpolate", "step-after"}, {"opacity", 0.6}}},
       {"encoding", {{"x", x}, {"y", y}, {"color", Field("device", "nominal", "device")}}}},
      {{"mark", {{"type", "point"}, {"filled", true}, {"size", 70}}},
       {"encoding",
        {{"x", x},
         {"y", y},
         {"color", Field("device", "nominal", "device")},
         {"shape", Field("kind", "nominal", "network")},
         {"tooltip",
          Tooltip({"label", "kind", "device", "latency_ms", "latency_source", "accuracy"})}}}}};
  return spec;
}

Spec TrainingChart(const std::vector<SeriesPoint>& loss, const std::vector<SeriesPoint>& accuracy) {
  Spec values = SeriesValues(loss, "loss");
  for (auto& v : SeriesValues(accuracy, "accuracy")) values.push_back(std::move(v));
  Spec spec{{"$schema", kSchema},
            {"title", "Loss and accuracy per step"},
            {"data", {{"values", std::move(values)}}},
            {"hconcat", Spec::array()},
            {"resolve", {{"scale", {{"color", "independent"}}}}}};
  if (!loss.empty()) spec["hconcat"].push_back(SeriesPanel("loss", "loss"));
  if (!accuracy.empty()) spec["hconcat"].push_back(SeriesPanel("accuracy", "accuracy"));
  return spec;
}

Spec ProbabilityChart(const std::vector<ProbabilityCell>& cells) {
  Spec values = Spec::array();
  for (const auto& c : cells)
    values.push_back({{"step", c.step},
                      {"row", c.block + " " + c.candidate},
                      {"block", c.block},
                      {"candidate", c.candidate},
                      {"probability", c.probability}});
  Spec spec = Base("Architecture probabilities per block over the search epochs", values);
  spec["height"] = {{"step", 12}};
  Spec color = Field("probability", "quantitative", "probability");
  color["scale"] = {{"domain", {0, 1}}, {"scheme", "blues"}};
  spec["mark"] = "rect";
  spec["encoding"] = {{"x", Field("step", "ordinal", "epoch")},
                      {"y", InDataOrder("row", "block, candidate")},
                      {"color", color},
                      {"tooltip", Tooltip({"block", "candidate", "step", "probability"})}};
  return spec;
}

Spec ExpectedCostChart(const CostCurve& curve) {
  Spec values = SeriesValues(curve.points, "cost");
  Spec spec = Base("Expected cost of the architecture distribution against the target", values);
  Spec x = Field("step", "quantitative", "epoch");
  Spec y = Field("value", "quantitative", curve.unit);
  spec["layer"] = {{{"mark", {{"type", "line"}, {"point", true}}},
                    {"encoding",
                     {{"x", x},
                      {"y", y},
                      {"color", Field("series", "nominal", "cost")},
                      {"tooltip", Tooltip({"series", "step", "value"})}}}}};
  if (curve.target) {
    spec["layer"].push_back(
        {{"mark", {{"type", "rule"}, {"strokeDash", {6, 4}}, {"color", "firebrick"}}},
         {"encoding", {{"y", {{"datum", *curve.target}, {"type", "quantitative"}}}}}});
  }
  return spec;
}

Spec PreserveRatioChart(const std::vector<PolicyBar>& bars) {
  Spec spec =
      Base("AMC: preserve ratio per layer, best policy against uniform", PolicyValues(bars));
  spec["width"] = {{"step", 14}};
  Spec layer = PolicyBars("preserve ratio");
  layer["encoding"]["y"]["scale"] = {{"domain", {0, 1}}};
  spec.update(layer);
  return spec;
}

Spec BitWidthChart(const std::vector<PolicyBar>& bars) {
  Spec spec = Base("HAQ: bits per operator, best policy against uniform", PolicyValues(bars));
  spec["width"] = {{"step", 14}};
  spec["height"] = kHeight / 2;
  spec.update(PolicyBars("bits"));
  spec["encoding"]["row"] = Field("quantity", "nominal", "");
  return spec;
}

Spec RewardChart(const std::vector<EpisodeReward>& episodes) {
  Spec values = Spec::array();
  double best = -INFINITY;
  for (const auto& e : episodes) {
    best = std::max(best, e.reward);
    values.push_back({{"episode", e.episode}, {"reward", e.reward}, {"best", best}});
  }
  Spec spec = Base("Episode reward (points) and the best so far (line)", values);
  Spec x = Field("episode", "quantitative", "episode");
  spec["layer"] = {{{"mark", {{"type", "point"}, {"filled", true}, {"opacity", 0.6}}},
                    {"encoding",
                     {{"x", x},
                      {"y", Field("reward", "quantitative", "reward")},
                      {"tooltip", Tooltip({"episode", "reward", "best"})}}}},
                   {{"mark", {{"type", "line"}, {"interpolate", "step-after"}, {"color", "black"}}},
                    {"encoding", {{"x", x}, {"y", Field("best", "quantitative")}}}}};
  return spec;
}

Spec LayerLatencyChart(const std::vector<LayerLatency>& layers, const std::string& device,
                       double total_ms) {
  Spec values = Spec::array();
  for (const auto& l : layers) values.push_back({{"layer", l.layer}, {"key", l.key}, {"ms", l.ms}});
  Spec spec =
      Base("Latency per layer on " + device + " (" + Fixed(total_ms, 1, 3) + " ms in all)", values);
  spec["height"] = {{"step", 16}};
  spec["mark"] = "bar";
  spec["encoding"] = {{"y", InDataOrder("layer", "layer")},
                      {"x", Field("ms", "quantitative", "latency (ms)")},
                      {"tooltip", Tooltip({"layer", "key", "ms"})}};
  return spec;
}

Spec ValidationChart(const std::vector<ValidationPoint>& points) {
  Spec values = Spec::array();
  double low = INFINITY, high = 0;
  for (const auto& p : points) {
    values.push_back(
        {{"arch", p.arch}, {"measured_ms", p.measured_ms}, {"estimated_ms", p.estimated_ms}});
    low = std::min({low, p.measured_ms, p.estimated_ms});
    high = std::max({high, p.measured_ms, p.estimated_ms});
  }
  if (points.empty()) low = high = 0;
  // Both axes over the same range, a little wider than the points, so y = x is the diagonal.
  const double pad = 0.05 * (high > low ? high - low : std::max(high, 1.0));
  const Spec scale{{"domain", {low - pad, high + pad}}, {"nice", false}, {"zero", false}};
  Spec x = Field("measured_ms", "quantitative", "measured latency (ms)");
  Spec y = Field("estimated_ms", "quantitative", "estimated latency (ms)");
  x["scale"] = y["scale"] = scale;
  Spec spec = Base("Estimated against measured latency (the line is y = x)", values);
  spec["layer"] = {
      {{"data", {{"values", {{{"ms", low - pad}}, {{"ms", high + pad}}}}}},
       {"mark", {{"type", "line"}, {"color", "gray"}, {"strokeDash", {4, 4}}}},
       {"encoding", {{"x", Field("ms", "quantitative")}, {"y", Field("ms", "quantitative")}}}},
      {{"mark", {{"type", "point"}, {"filled", true}}},
       {"encoding",
        {{"x", x}, {"y", y}, {"tooltip", Tooltip({"arch", "measured_ms", "estimated_ms"})}}}}};
  return spec;
}

Spec StageTableChart(const std::vector<StageRow>& stages) {
  const std::vector<std::string> columns = {"run",    "accuracy",  "latency ms", "M MACs",
                                            "params", "size (KB)", "seconds"};
  Spec values = Spec::array();
  for (const StageRow& s : stages) {
    const std::string row = std::to_string(s.index) + " " + s.stage;
    const std::vector<std::string> cells = {s.run ? std::to_string(*s.run) : "-",
                                            Fixed(s.accuracy, 100, 2) + (s.accuracy ? "%" : ""),
                                            Fixed(s.latency_ms, 1, 3),
                                            Fixed(s.flops, 1e-6, 2),
                                            Fixed(s.params, 1, 0),
                                            Fixed(s.size_bits, 1.0 / 8192, 1),
                                            Fixed(s.seconds, 1, 1)};
    for (size_t c = 0; c < columns.size(); ++c)
      values.push_back({{"stage", row}, {"column", columns[c]}, {"text", cells[c]}});
  }
  Spec spec = Base("Pipeline stages", values);
  Spec x = Field("column", "ordinal", "");
  x["sort"] = columns;
  x["title"] = nullptr;
  x["axis"] = {{"orient", "top"}, {"labelAngle", 0}, {"domain", false}, {"ticks", false}};
  Spec y = InDataOrder("stage", "");
  y["title"] = nullptr;
  spec["width"] = {{"step", 90}};
  spec["height"] = {{"step", 22}};
  spec["mark"] = {{"type", "text"}, {"align", "center"}};
  spec["encoding"] = {{"x", x}, {"y", y}, {"text", Field("text", "nominal")}};
  return spec;
}

}  // namespace hwnas::report
