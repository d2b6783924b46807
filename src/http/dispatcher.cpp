#include "http/dispatcher.h"

#include <algorithm>

#include "core/log.h"

namespace carnet::http {

Dispatcher::Dispatcher(const Router& router, const StaticFiles& static_files, uint64_t default_body_limit)
    : router_(router), static_files_(static_files), default_body_limit_(default_body_limit) {}

Dispatcher::Plan Dispatcher::plan(std::string_view method, std::string_view target) const {
  Plan p;
  size_t q = target.find('?');
  p.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) p.query = std::string(target.substr(q + 1));
  p.match = router_.match(method, p.path);
  switch (p.match.outcome) {
    case Router::Outcome::kFound:
      p.route_label = p.match.route->name;
      p.body_limit = p.match.route->body_limit ? p.match.route->body_limit : default_body_limit_;
      p.on_worker = p.match.route->execution == api::Execution::kWorker;
      if (p.match.route->open_body) p.open_body = &p.match.route->open_body;
      break;
    case Router::Outcome::kNotFound:
      p.body_limit = std::min(default_body_limit_, kUnroutedBodyLimit);
      if ((method == "GET" || method == "HEAD") && !static_files_.is_reserved(p.path)) {
        p.route_label = "static";
        p.on_worker = true;  // file I/O
      } else {
        p.route_label = "unmatched";
        p.on_worker = false;
      }
      break;
    default:
      p.route_label = "unmatched";
      p.body_limit = std::min(default_body_limit_, kUnroutedBodyLimit);
      p.on_worker = false;
  }
  return p;
}

api::Response Dispatcher::execute(const Plan& plan, api::Request& req) const {
  try {
    switch (plan.match.outcome) {
      case Router::Outcome::kFound: {
        req.params = plan.match.params;
        if (req.sink) {
          Status done = req.sink->finish();
          if (!done.is_ok()) {
            return api::error_response_for(plan.path, api::http_status_for(done.code()), "refused", done.message(),
                                           req.request_id);
          }
        }
        return plan.match.route->handler(req);
      }
      case Router::Outcome::kMethodNotAllowed: {
        auto res = api::error_response_for(plan.path, 405, "method_not_allowed",
                                       "method " + req.method + " is not allowed here; allowed: " + plan.match.allow,
                                       req.request_id);
        res.set_header("Allow", plan.match.allow);
        return res;
      }
      case Router::Outcome::kBadPath:
        return api::error_response(400, "invalid", "request target must be an absolute path", req.request_id);
      case Router::Outcome::kNotFound:
        if (plan.route_label == "static") return static_files_.serve(req);
        return api::error_response_for(plan.path, 404, "not_found", "no such resource: " + plan.path, req.request_id);
    }
  } catch (const std::exception& e) {
    log::error("handler_exception", {{"route", plan.route_label}, {"error", e.what()}});
  } catch (...) {
    log::error("handler_exception", {{"route", plan.route_label}});
  }
  return api::error_response_for(plan.path, 500, "internal", "internal error; quote the request id to support",
                                 req.request_id);
}

void Dispatcher::decorate(api::Response& res, std::string_view request_id, bool secure) {
  // Handlers never set these, so they are appended without a look-up.
  static const api::Header kSecurity[] = {
      {"Content-Security-Policy",
       "default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; "
       "object-src 'none'; report-uri /api/v1/csp-report"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"X-Frame-Options", "DENY"},
      {"Cross-Origin-Opener-Policy", "same-origin"},
      {"Permissions-Policy", "camera=(self), microphone=(), geolocation=()"},
  };
  res.headers.reserve(res.headers.size() + std::size(kSecurity) + 3);
  res.headers.push_back({"X-Request-Id", std::string(request_id)});
  // A handler may set a stricter policy of its own (documents served in a sandbox).
  bool own_policy = !res.header("Content-Security-Policy").empty();
  res.headers.insert(res.headers.end(), std::begin(kSecurity) + (own_policy ? 1 : 0), std::end(kSecurity));
  if (secure) res.headers.push_back({"Strict-Transport-Security", "max-age=63072000; includeSubDomains"});
  if (res.header("Cache-Control").empty()) res.headers.push_back({"Cache-Control", "no-store"});
}

}  // namespace carnet::http
