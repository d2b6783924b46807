// Operational and public reference routes: liveness, readiness, metrics, CSP reports, and the
// document classes, types and formats the portal offers. Routes: routes.cpp.
#pragma once

#include <cstdint>

#include "api/http_types.h"

namespace carnet {
class Metrics;
namespace store {
class Store;
}
}  // namespace carnet

namespace carnet::api::system {

inline constexpr uint64_t kCspReportLimit = 16 * 1024;

Response healthz(const Request& req);                      // GET /healthz (on the I/O thread)
Response readyz(store::Store& store, const Request& req);  // GET /readyz
Response metrics(const Metrics& metrics, const Request& req);  // GET /metrics (on the I/O thread)
Response csp_report(const Request& req);                   // POST /api/v1/csp-report
// GET /api/v1/documents/types: classes, types and accepted formats of documents.
Response document_types(uint64_t max_document_bytes, const Request& req);

}  // namespace carnet::api::system
