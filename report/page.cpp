#include "report/page.h"

#include <string_view>

#include "report/assets.h"

namespace hwnas::report {
namespace {

constexpr const char* kStyle = R"(<style>
body { font-family: system-ui, sans-serif; margin: 1.5em 2em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; border-bottom: 1px solid #ccc; margin-top: 2em; }
nav a { margin-right: 0.8em; } table { border-collapse: collapse; font-size: 0.9em; }
td, th { border: 1px solid #ddd; padding: 2px 8px; text-align: left; }
.chart { display: inline-block; vertical-align: top; margin: 0.5em 1.5em 0.5em 0;
  min-width: 560px; min-height: 320px; }
.error { color: #b00; white-space: pre-wrap; }
</style>
)";

// Draws a chart when it comes near the window (the page opens fast however many runs it has),
// or every chart at once with #all in the address (a browser without IntersectionObserver too).
// <body> gets data-charts, data-rendered, data-failed, data-start-ms (the renderers loaded),
// data-first-ms (the charts in the window at load drawn) and data-all-ms (every chart drawn), in
// ms since navigation started.
constexpr const char* kRenderScript = R"(<script>
(function () {
  const charts = JSON.parse(document.getElementById('hwnas-specs').textContent);
  const body = document.body, byId = {};
  let rendered = 0, failed = 0;
  const mark = function (name) { body.setAttribute(name, performance.now().toFixed(0)); };
  body.setAttribute('data-charts', String(charts.length));
  mark('data-start-ms');
  const draw = function (chart) {
    return vegaEmbed('#' + chart.id, chart.spec, {actions: false, renderer: 'canvas'})
      .then(function () { rendered++; }, function (error) {
        failed++;
        console.error('chart ' + chart.id + ': ' + error);
        const box = document.getElementById(chart.id);
        box.className += ' error';
        box.textContent = 'chart ' + chart.id + ' failed: ' + error;
      }).then(function () {
        body.setAttribute('data-rendered', String(rendered));
        body.setAttribute('data-failed', String(failed));
        if (rendered + failed === charts.length) mark('data-all-ms');
      });
  };
  if (location.hash === '#all' || !('IntersectionObserver' in window)) {
    Promise.all(charts.map(draw)).then(function () { mark('data-first-ms'); });
    return;
  }
  let first = true;
  const observer = new IntersectionObserver(function (entries) {
    const near = entries.filter(function (e) { return e.isIntersecting; });
    near.forEach(function (e) { observer.unobserve(e.target); });
    const drawn = Promise.all(near.map(function (e) { return draw(byId[e.target.id]); }));
    if (first) drawn.then(function () { mark('data-first-ms'); });
    first = false;
  }, {rootMargin: '300px'});
  charts.forEach(function (chart) {
    byId[chart.id] = chart;
    observer.observe(document.getElementById(chart.id));
  });
})();
</script>
)";

// JSON inside <script>: every '<' (only ever inside a string) as \u003c, so no "</script>" or
// "<!--" in a run name can end or change the element.
std::string JsonInScript(const Spec& json) {
  const std::string text = json.dump(-1, ' ', false, Spec::error_handler_t::replace);
  std::string out;
  for (char c : text) out += c == '<' ? std::string("\\u003c") : std::string(1, c);
  return out;
}

// A script inside <script>: "</script" would end the element ("<\/script" means the same in a
// string or regular expression; the pinned builds contain none).
std::string ScriptInScript(std::string_view text) {
  std::string out(text);
  for (size_t at = out.find("</script"); at != std::string::npos; at = out.find("</script", at))
    out.replace(at, 2, "<\\/");
  return out;
}

std::string Navigation(const std::vector<Section>& sections) {
  std::string nav = "<nav>";
  for (const Section& s : sections) nav += "<a href=\"#" + s.id + "\">" + EscapeHtml(s.id) + "</a>";
  return nav + "</nav>\n";
}

std::string Body(const std::vector<Section>& sections, Spec& specs) {
  std::string body;
  for (const Section& s : sections) {
    body += "<section id=\"" + s.id + "\"><h2>" + EscapeHtml(s.title) + "</h2>\n";
    if (s.charts.empty() && s.html.empty()) body += "<p>No charts: nothing stored to draw.</p>\n";
    for (const Chart& c : s.charts) {
      body += "<div class=\"chart\" id=\"" + c.name + "\"></div>\n";
      specs.push_back({{"id", c.name}, {"spec", c.spec}});
    }
    body += s.html + "</section>\n";  // after the charts: the overview's chart on the first screen
  }
  return body;
}

}  // namespace

std::string EscapeHtml(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string RenderPage(const std::string& title, const std::vector<Section>& sections) {
  Spec specs = Spec::array();
  const std::string body = Body(sections, specs);
  std::string page = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" +
                     EscapeHtml(title) + "</title>\n" + kStyle;
  for (const RendererScript& script : RendererScripts())
    page += "<script>/* " + std::string(script.name) + " */\n" + ScriptInScript(script.text) +
            "\n</script>\n";
  page += "</head><body>\n<h1>" + EscapeHtml(title) + "</h1>\n" + Navigation(sections) + body;
  page += "<script type=\"application/json\" id=\"hwnas-specs\">" + JsonInScript(specs) +
          "</script>\n" + kRenderScript + "</body></html>\n";
  return page;
}

}  // namespace hwnas::report
