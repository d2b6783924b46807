#include "api/document_routes.h"

#include <nlohmann/json.hpp>

#include "documents/content_type.h"
#include "documents/document_types.h"

namespace carnet::api {

std::vector<Route> document_routes(uint64_t max_document_bytes) {
  nlohmann::json classes = nlohmann::json::array(), types = nlohmann::json::array();
  for (const auto& c : documents::document_codes()) {
    nlohmann::json item = {{"system", c.system}, {"code", c.code}, {"label", c.label}};
    if (c.kind == "class") {
      classes.push_back(item);
    } else {
      item["class"] = c.class_code;
      types.push_back(item);
    }
  }
  nlohmann::json formats = nlohmann::json::array();
  for (auto f : {documents::Format::kPdf, documents::Format::kJpeg, documents::Format::kPng, documents::Format::kTiff,
                 documents::Format::kText, documents::Format::kRtf, documents::Format::kCda}) {
    formats.push_back({{"content_type", documents::mime_type(f)}, {"label", documents::format_label(f)}});
  }
  std::string body = nlohmann::json{{"classes", classes},
                                    {"types", types},
                                    {"formats", formats},
                                    {"max_document_bytes", max_document_bytes}}
                         .dump();
  std::vector<Route> routes;
  routes.push_back({"GET", "/api/v1/documents/types", "", [body](const Request&) {
                      Response r = Response::json(200, body);
                      r.set_header("Cache-Control", "public, max-age=3600");
                      return r;
                    }});
  return routes;
}

}  // namespace carnet::api
