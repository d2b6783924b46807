// Everything about a request that is not moving bytes: route matching, body limits, running
// the handler (or static files, 404, 405), turning exceptions into 500s, and the headers
// every response carries. Beast-free, so it is unit-tested without sockets.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "api/http_types.h"
#include "http/router.h"
#include "http/static_files.h"

namespace carnet::http {

class Dispatcher {
 public:
  Dispatcher(const Router& router, const StaticFiles& static_files, uint64_t default_body_limit);

  struct Plan {
    Router::Match match;
    std::string path, query;
    std::string route_label;  // for metrics: route name, "static" or "unmatched"
    uint64_t body_limit = 0;
    bool on_worker = true;
    const api::BodySinkFactory* open_body = nullptr;  // the route streams its body
  };
  // Decided from the request line alone, before the body is read.
  Plan plan(std::string_view method, std::string_view target) const;

  // Runs the request as planned; never throws.
  api::Response execute(const Plan& plan, api::Request& req) const;

  // Adds the security headers, request id and (when secure) HSTS to any response.
  static void decorate(api::Response& res, std::string_view request_id, bool secure);

 private:
  const Router& router_;
  const StaticFiles& static_files_;
  uint64_t default_body_limit_;
};

// Small bodies that are not expected (404, 405, static GETs) are read and discarded up to
// this size; larger ones get 413.
inline constexpr uint64_t kUnroutedBodyLimit = 64 * 1024;

}  // namespace carnet::http
