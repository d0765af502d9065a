// The report's HTML page: one self-contained file with the renderers (report/assets.h) and every
// chart's Vega-Lite spec inlined, so it opens offline. The page draws a chart with vega-embed when
// it comes near the window (#all: every chart at once) and records its progress on <body>
// (data-rendered, data-failed, data-first-ms, data-all-ms); a failed chart shows its error in
// place and in the console.
#pragma once

#include <string>
#include <vector>

#include "report/sections.h"

namespace hwnas::report {

// Text as HTML: < > & and " escaped.
std::string EscapeHtml(const std::string& text);

std::string RenderPage(const std::string& title, const std::vector<Section>& sections);

}  // namespace hwnas::report
