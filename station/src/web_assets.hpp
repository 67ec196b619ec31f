// The browser app's files, embedded at build time from station/web/ (station/embed_web.cmake).
#pragma once

#include <string_view>
#include <vector>

namespace gc::station::detail {

struct WebAsset {
  std::string_view path;  // relative to station/web/, "/" separated: "app.js", "img/logo.svg"
  std::string_view content_type;
  std::string_view bytes;
};

const std::vector<WebAsset>& web_assets();

}  // namespace gc::station::detail
