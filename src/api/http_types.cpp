#include "api/http_types.h"

#include <strings.h>

#include "core/log.h"

namespace carnet::api {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::string_view Request::header(std::string_view name) const {
  for (const auto& h : headers) {
    if (iequals(h.name, name)) return h.value;
  }
  return {};
}

std::string_view Request::param(std::string_view name) const {
  for (const auto& [k, v] : params) {
    if (k == name) return v;
  }
  return {};
}

void Response::set_header(std::string name, std::string value) {
  for (auto& h : headers) {
    if (iequals(h.name, name)) {
      h.value = std::move(value);
      return;
    }
  }
  headers.push_back({std::move(name), std::move(value)});
}

std::string_view Response::header(std::string_view name) const {
  for (const auto& h : headers) {
    if (iequals(h.name, name)) return h.value;
  }
  return {};
}

Response Response::json(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.headers.push_back({"Content-Type", "application/json; charset=utf-8"});
  return r;
}

Response Response::text(int status, std::string body, std::string content_type) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.headers.push_back({"Content-Type", std::move(content_type)});
  return r;
}

Response Response::empty(int status) {
  Response r;
  r.status = status;
  return r;
}

int http_status_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return 200;
    case ErrorCode::kInvalid: return 400;
    case ErrorCode::kUnprocessable: return 422;
    case ErrorCode::kUnauthenticated: return 401;
    case ErrorCode::kForbidden: return 403;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kConflict: return 409;
    case ErrorCode::kPreconditionFailed: return 412;
    case ErrorCode::kGone: return 410;
    case ErrorCode::kTooLarge: return 413;
    case ErrorCode::kThrottled: return 429;
    case ErrorCode::kUnavailable:
    case ErrorCode::kBusy: return 503;
    case ErrorCode::kCorrupt:
    case ErrorCode::kInternal: return 500;
  }
  return 500;
}

Response error_response(int status, std::string_view code, std::string_view message,
                        std::string_view request_id) {
  std::string body = "{\"error\":";
  log::append_json_string(body, code);
  body += ",\"message\":";
  log::append_json_string(body, message);
  body += ",\"request_id\":";
  log::append_json_string(body, request_id);
  body += "}";
  Response r = Response::json(status, std::move(body));
  if (status == 503) r.set_header("Retry-After", "1");
  return r;
}

Response error_response(const Status& status, std::string_view request_id) {
  int http = http_status_for(status.code());
  // Internal failures are logged with details by whoever produced them; clients get no
  // internals.
  std::string_view message = http >= 500 && status.code() != ErrorCode::kUnavailable &&
                                     status.code() != ErrorCode::kBusy
                                 ? std::string_view("internal error; quote the request id to support")
                                 : std::string_view(status.message());
  return error_response(http, error_code_name(status.code()), message, request_id);
}

Response error_response_for(std::string_view path, int status, std::string_view code, std::string_view message,
                            std::string_view request_id) {
  if (path.substr(0, 6) != "/fhir/" && path != "/fhir") return error_response(status, code, message, request_id);
  std::string_view issue = status == 400 ? "invalid"
                           : status == 404 ? "not-found"
                           : status == 405 ? "not-supported"
                           : status == 413 || status == 431 ? "too-costly"
                           : status == 503 ? "transient"
                                           : "exception";
  std::string body = R"({"resourceType":"OperationOutcome","issue":[{"severity":"error","code":")";
  body += issue;
  body += R"(","diagnostics":)";
  log::append_json_string(body, message);
  body += "}]}";
  Response r = Response::text(status, std::move(body), "application/fhir+json; charset=utf-8");
  if (status == 503) r.set_header("Retry-After", "1");
  return r;
}

}  // namespace carnet::api
