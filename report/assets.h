// The chart renderers the report page inlines: the minified UMD builds of vega, vega-lite and
// vega-embed from report/web/node_modules (versions pinned by report/web/package-lock.json),
// embedded in the binary at build time (report/embed_assets.cmake), so no node at run time.
#pragma once

#include <string_view>
#include <vector>

namespace hwnas::report {

struct RendererScript {
  std::string_view name;  // "vega", "vega-lite", "vega-embed"
  std::string_view text;  // the script, in the order the page loads them
};

// Defined in the generated web_assets.cpp.
std::vector<RendererScript> RendererScripts();

}  // namespace hwnas::report
