#include "results/selection.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <regex>
#include <set>

#include "core/errors.h"

namespace hwnas::results {
namespace {

constexpr const char* kWhereSyntax =
    "expected NAME OP NUMBER with OP one of < <= > >= == !=, conditions joined by 'and' or ','"
    " (e.g. --where \"latency_ms<=2 and accuracy>0.8\")";

std::string Trim(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t\n");
  if (begin == std::string::npos) return "";
  size_t end = text.find_last_not_of(" \t\n");
  return text.substr(begin, end - begin + 1);
}

CompareOp ParseOp(const std::string& op) {
  if (op == "<") return CompareOp::kLess;
  if (op == "<=") return CompareOp::kLessEqual;
  if (op == ">") return CompareOp::kGreater;
  if (op == ">=") return CompareOp::kGreaterEqual;
  if (op == "==") return CompareOp::kEqual;
  return CompareOp::kNotEqual;
}

Condition ParseCondition(const std::string& term) {
  static const std::regex kTerm(R"(^([A-Za-z_][A-Za-z0-9_.]*)\s*(<=|>=|==|!=|<|>)\s*(\S+)$)");
  std::smatch match;
  if (std::regex_match(term, match, kTerm)) {
    std::string number = match[3];
    char* end = nullptr;
    double value = std::strtod(number.c_str(), &end);
    if (end == number.c_str() + number.size() && std::isfinite(value)) {
      return {match[1], ParseOp(match[2]), value};
    }
  }
  throw UsageError("bad --where condition '" + term + "': " + kWhereSyntax);
}

bool Holds(double actual, CompareOp op, double bound) {
  switch (op) {
    case CompareOp::kLess:
      return actual < bound;
    case CompareOp::kLessEqual:
      return actual <= bound;
    case CompareOp::kGreater:
      return actual > bound;
    case CompareOp::kGreaterEqual:
      return actual >= bound;
    case CompareOp::kEqual:
      return actual == bound;
    case CompareOp::kNotEqual:
      return actual != bound;
  }
  return false;
}

std::optional<double> FiniteValue(const SummaryValues& values, const std::string& name) {
  auto it = values.find(name);
  if (it == values.end() || !std::isfinite(it->second)) return std::nullopt;
  return it->second;
}

}  // namespace

std::vector<Condition> ParseWhere(const std::string& text) {
  std::vector<Condition> conditions;
  if (Trim(text).empty()) return conditions;
  static const std::regex kSeparator(R"(\s+and\s+|,)", std::regex::icase);
  std::sregex_token_iterator it(text.begin(), text.end(), kSeparator, -1), end;
  for (; it != end; ++it) conditions.push_back(ParseCondition(Trim(*it)));
  // A trailing separator leaves no token; report it rather than ignoring it.
  if (Trim(text).back() == ',') ParseCondition("");
  return conditions;
}

bool Satisfies(const SummaryValues& values, const std::vector<Condition>& conditions) {
  for (const Condition& c : conditions) {
    auto it = values.find(c.name);
    if (it == values.end() || std::isnan(it->second) || !Holds(it->second, c.op, c.value)) {
      return false;
    }
  }
  return true;
}

bool MinimizeByDefault(const std::string& metric) {
  std::string lower = metric;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* cost :
       {"latency", "loss", "flops", "params", "size", "error", "seconds", "wait"}) {
    if (lower.find(cost) != std::string::npos) return true;
  }
  return false;
}

std::optional<size_t> FindBest(const std::vector<RunSummary>& runs, const std::string& metric,
                               bool minimize) {
  std::optional<size_t> best;
  double best_value = 0;
  for (size_t i = 0; i < runs.size(); ++i) {
    std::optional<double> value = FiniteValue(runs[i].values, metric);
    if (!value) continue;
    bool better = !best || (minimize ? *value < best_value : *value > best_value) ||
                  (*value == best_value && runs[i].run.id < runs[*best].run.id);
    if (better) {
      best = i;
      best_value = *value;
    }
  }
  return best;
}

std::vector<size_t> ParetoFront(const std::vector<RunSummary>& runs, const std::string& x,
                                const std::string& y) {
  struct Point {
    size_t index;
    double x, y;
  };
  std::vector<Point> points;
  for (size_t i = 0; i < runs.size(); ++i) {
    auto px = FiniteValue(runs[i].values, x), py = FiniteValue(runs[i].values, y);
    if (px && py) points.push_back({i, *px, *py});
  }
  std::sort(points.begin(), points.end(), [&](const Point& a, const Point& b) {
    if (a.x != b.x) return a.x < b.x;
    if (a.y != b.y) return a.y > b.y;
    return runs[a.index].run.id < runs[b.index].run.id;
  });
  // Sweeping by increasing x, a point survives when no earlier point has a better y, or it
  // equals the best point so far (duplicates are all on the front).
  std::vector<size_t> front;
  std::optional<Point> best;
  for (const Point& p : points) {
    if (!best || p.y > best->y || (p.y == best->y && p.x == best->x)) {
      front.push_back(p.index);
      if (!best || p.y > best->y) best = p;
    }
  }
  return front;
}

std::vector<std::string> SummaryNames(const std::vector<RunSummary>& runs) {
  std::set<std::string> names;
  for (const RunSummary& run : runs) {
    for (const auto& [name, value] : run.values) names.insert(name);
  }
  return {names.begin(), names.end()};
}

}  // namespace hwnas::results
