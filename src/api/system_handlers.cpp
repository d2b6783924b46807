#include "api/system_handlers.h"

#include <nlohmann/json.hpp>

#include "core/log.h"
#include "documents/content_type.h"
#include "documents/document_types.h"
#include "core/metrics.h"
#include "store/store.h"

namespace carnet::api::system {
namespace {

// Report fields are URLs of the page and of what was blocked: keep scheme, host and path
// only, since query strings may carry tokens.
std::string strip_query(std::string url) {
  auto cut = url.find_first_of("?#");
  if (cut != std::string::npos) url.resize(cut);
  if (url.size() > 512) url.resize(512);
  return url;
}

}  // namespace

Response csp_report(const Request& req) {
  nlohmann::json doc = nlohmann::json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return error_response(400, "invalid", "body is not valid JSON", req.request_id);
  }
  const nlohmann::json* report = nullptr;
  if (doc.is_object() && doc.contains("csp-report") && doc["csp-report"].is_object()) {
    report = &doc["csp-report"];  // report-uri format
  } else if (doc.is_array() && !doc.empty() && doc[0].is_object() && doc[0].contains("body") &&
             doc[0]["body"].is_object()) {
    report = &doc[0]["body"];  // Reporting API format
  }
  if (!report) {
    return error_response(400, "invalid", "expected a CSP report object (\"csp-report\") or a Reporting API array",
                          req.request_id);
  }
  auto field = [&](const char* a, const char* b) -> std::string {
    for (const char* k : {a, b}) {
      auto it = report->find(k);
      if (it != report->end() && it->is_string()) return strip_query(it->get<std::string>());
    }
    return "";
  };
  log::warn("csp_violation", {{"document", field("document-uri", "documentURL")},
                              {"blocked", field("blocked-uri", "blockedURL")},
                              {"directive", field("violated-directive", "effectiveDirective")}});
  return Response::empty(204);
}

Response healthz(const Request&) { return Response::json(200, "{\"status\":\"ok\"}"); }

Response readyz(store::Store& store, const Request& req) {
  Status s = store.ping();
  if (!s.is_ok()) {
    log::warn("readiness_failed", {{"error", s.message()}});
    return error_response(503, "unavailable", "storage is not reachable", req.request_id);
  }
  return Response::json(200, "{\"status\":\"ready\"}");
}

Response metrics(const Metrics& metrics, const Request&) {
  return Response::text(200, metrics.render_prometheus(), "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace carnet::api::system

namespace carnet::api::system {

Response document_types(uint64_t max_document_bytes, const Request&) {
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
  Response r = Response::json(200, nlohmann::json{{"classes", classes},
                                                  {"types", types},
                                                  {"formats", formats},
                                                  {"max_document_bytes", max_document_bytes}}
                                       .dump());
  r.set_header("Cache-Control", "public, max-age=3600");
  return r;
}

}  // namespace carnet::api::system
