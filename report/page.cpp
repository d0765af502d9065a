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
.chart { display: inline-block; vertical-align: top; margin: 0.5em 1.5em 0.5em 0; }
.error { color: #b00; white-space: pre-wrap; }
</style>
)";

// Renders every chart, then marks <body> so a headless browser can tell it is done.
constexpr const char* kRenderScript = R"(<script>
(function () {
  const charts = JSON.parse(document.getElementById('hwnas-specs').textContent);
  const drawn = charts.map(function (chart) {
    return vegaEmbed('#' + chart.id, chart.spec, {actions: false}).catch(function (error) {
      console.error('chart ' + chart.id + ': ' + error);
      const box = document.getElementById(chart.id);
      box.className += ' error';
      box.textContent = 'chart ' + chart.id + ' failed: ' + error;
      throw error;
    });
  });
  Promise.allSettled(drawn).then(function (results) {
    const ok = results.filter(function (r) { return r.status === 'fulfilled'; }).length;
    document.body.setAttribute('data-rendered', String(ok));
    document.body.setAttribute('data-failed', String(results.length - ok));
    document.body.setAttribute('data-render-ms', performance.now().toFixed(0));
  });
})();
</script>
)";

// Text inside <script> must not contain "</" (it would end the element early).
std::string ScriptSafe(std::string_view text) {
  std::string out(text);
  for (size_t at = out.find("</"); at != std::string::npos; at = out.find("</", at + 3))
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
    body += "<section id=\"" + s.id + "\"><h2>" + EscapeHtml(s.title) + "</h2>\n" + s.html;
    if (s.charts.empty() && s.html.empty()) body += "<p>No charts: nothing stored to draw.</p>\n";
    for (const Chart& c : s.charts) {
      body += "<div class=\"chart\" id=\"" + c.name + "\"></div>\n";
      specs.push_back({{"id", c.name}, {"spec", c.spec}});
    }
    body += "</section>\n";
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
    page += "<script>/* " + std::string(script.name) + " */\n" + ScriptSafe(script.text) +
            "\n</script>\n";
  page += "</head><body>\n<h1>" + EscapeHtml(title) + "</h1>\n" + Navigation(sections) + body;
  page += "<script type=\"application/json\" id=\"hwnas-specs\">" +
          ScriptSafe(specs.dump(-1, ' ', false, Spec::error_handler_t::replace)) + "</script>\n" +
          kRenderScript + "</body></html>\n";
  return page;
}

}  // namespace hwnas::report
