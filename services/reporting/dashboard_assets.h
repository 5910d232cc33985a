// The dashboard's files (services/reporting/dashboard/), built into the binary so the service
// needs nothing beside it: dashboard_assets.cc is generated from the files by CMake
// (cmake/EmbedAssets.cmake).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace leadflow::reporting {

struct DashboardAsset {
  std::string name;          // "index.html", "app.js", "app.css"
  std::string content_type;  // "text/html; charset=utf-8", ...
  std::string_view content;
};

const std::vector<DashboardAsset>& DashboardAssets();

}  // namespace leadflow::reporting
