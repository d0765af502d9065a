// The report's HTML page: one self-contained file with the renderers (report/assets.h) and every
// chart's Vega-Lite spec inlined, so it opens offline. The page embeds each chart with
// vega-embed and, once all are drawn, sets data-rendered (charts drawn) and data-render-ms on
// <body>; a chart that fails shows its error in place and in the console.
#pragma once

#include <string>
#include <vector>

#include "report/sections.h"

namespace hwnas::report {

// Text as HTML: < > & and " escaped.
std::string EscapeHtml(const std::string& text);

std::string RenderPage(const std::string& title, const std::vector<Section>& sections);

}  // namespace hwnas::report
