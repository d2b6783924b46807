// Operational endpoints: liveness, readiness, metrics, and the CSP violation report sink.
#pragma once

#include <vector>

#include "api/http_types.h"

namespace carnet {
class Metrics;
namespace store {
class Store;
}
}  // namespace carnet

namespace carnet::api {

// GET /healthz   200 while the process serves (inline: answers even with workers saturated)
// GET /readyz    200 when storage answers, 503 otherwise
// GET /metrics   Prometheus text format
// POST /api/v1/csp-report  browsers' Content-Security-Policy violation reports (logged)
std::vector<Route> system_routes(store::Store& store, const Metrics& metrics);

}  // namespace carnet::api
