// The HTTP vocabulary shared by the api layer (handlers) and the http layer (server): plain
// structs, no networking library. Handlers are synchronous functions Request -> Response.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace carnet::api {

struct Header {
  std::string name;  // lower case in requests
  std::string value;
};

// A request body taken piece by piece as it arrives instead of whole (document uploads). The
// route's `open_body` makes one from the request head; the server then feeds it every byte
// of the body in order — from the worker pool when may_block() says the write may wait for
// the disk or encrypt a document, else from the I/O thread (a small JSON body is scanned in
// memory: a round trip through the pool would cost more than the scan) — and once the body
// is complete finish() is called on the handler's thread, just before the handler (it may
// wait for the disk). An error from write() or finish() answers the request with that error
// without running the handler; the sink is destroyed then, and must clean up.
class BodySink {
 public:
  virtual ~BodySink() = default;
  // Whether writing `bytes` more may block (disk, encryption of a document).
  virtual bool may_block(size_t bytes) const = 0;
  virtual Status write(std::string_view bytes) = 0;
  virtual Status finish() = 0;
};

// A response body produced piece by piece (document downloads), of a length known upfront.
class BodySource {
 public:
  virtual ~BodySource() = default;
  // Fills up to `cap` bytes (cap > 0); 0 only at the end.
  virtual Result<size_t> read(char* buf, size_t cap) = 0;
};

struct Request {
  std::string method;  // upper case, e.g. "GET"
  std::string target;  // as received, e.g. "/fhir/r4/Patient?name=x"
  std::string path;    // target before '?', still percent-encoded
  std::string query;   // after '?', raw
  std::vector<Header> headers;
  std::string body;                 // empty when the route streams its body into `sink`
  std::shared_ptr<BodySink> sink;   // the route's own sink, fed and finished, or null
  std::vector<std::pair<std::string, std::string>> params;  // path parameters, decoded
  std::string client_address;  // the client's, after trusted X-Forwarded-For
  bool secure = false;         // reached over TLS (directly or via a trusted proxy)
  std::string request_id;

  // First value of a header (case-insensitive name); empty when absent.
  std::string_view header(std::string_view name) const;
  std::string_view param(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::vector<Header> headers;
  std::string body;
  // Instead of `body`: a streamed body of `source_length` bytes (sent with Content-Length;
  // a source that ends early or fails closes the connection).
  std::shared_ptr<BodySource> source;
  uint64_t source_length = 0;

  void set_header(std::string name, std::string value);
  std::string_view header(std::string_view name) const;

  static Response json(int status, std::string body);
  static Response text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");
  static Response empty(int status);
};

// The one mapping from error categories to HTTP statuses.
int http_status_for(ErrorCode code);

// {"error": "<code>", "message": "<message>", "request_id": "<id>"} with the given status.
Response error_response(int status, std::string_view code, std::string_view message,
                        std::string_view request_id);
Response error_response(const Status& status, std::string_view request_id);
// The same error in the vocabulary of the API the path belongs to: an OperationOutcome
// (application/fhir+json) under /fhir/, the JSON error above elsewhere. For errors raised
// before a handler runs (405, 404, 413, malformed requests).
Response error_response_for(std::string_view path, int status, std::string_view code, std::string_view message,
                            std::string_view request_id);

// Where a handler runs. kInline is only for handlers that never block and finish in
// microseconds (liveness, metrics): they run on the I/O thread and keep answering even when
// every worker is busy. Everything else runs on the worker pool.
enum class Execution { kWorker, kInline };

using Handler = std::function<Response(const Request&)>;
// Makes the sink of a streamed request body from its head (`body` empty), or refuses the
// request with an error (its status gives the HTTP code). Runs on the I/O thread: makes no
// I/O of its own (a sink that stores opens its file on its first write).
using BodySinkFactory = std::function<Result<std::shared_ptr<BodySink>>(const Request&)>;

struct Route {
  std::string method;   // "GET", "POST"...; GET routes also answer HEAD
  std::string pattern;  // "/fhir/r4/{type}/{id}": {name} matches one path segment
  std::string name;     // label for metrics and logs; the pattern when empty
  Handler handler;
  uint64_t body_limit = 0;  // bytes; 0 means the server default (--max-body-bytes)
  Execution execution = Execution::kWorker;
  BodySinkFactory open_body = {};  // set: the body is streamed into a sink instead of buffered
};

}  // namespace carnet::api
