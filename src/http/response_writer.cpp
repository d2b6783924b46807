// The response writer: the status line and header block serialised in one buffer, written
// with the body in one gathered write, or a streamed body (document downloads) piece by piece
// after it; then the request's metrics and log line.
#include "http/server_impl.h"

namespace carnet::http {

namespace {

// RFC 9110 Date header, recomputed at most once a second per thread.
const std::string& http_date() {
  thread_local std::time_t cached_at = 0;
  thread_local std::string value;
  std::time_t now = std::time(nullptr);
  if (now != cached_at) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    value = buf;
    cached_at = now;
  }
  return value;
}

}  // namespace

// Serialises the status line and header block in one buffer (one write with the body, no
// per-field buffers). Names and values are the handlers' own, but CR, LF and NUL are
// dropped anyway so that no handler can ever split a response (header injection).
std::string serialize_head(const api::Response& r, unsigned version, bool keep_alive, bool with_length,
                           size_t content_length) {
  std::string head;
  head.reserve(640);
  head += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  head += std::to_string(r.status);
  head += ' ';
  head += bhttp::obsolete_reason(static_cast<bhttp::status>(r.status));
  head += "\r\n";
  auto append_clean = [&head](std::string_view text) {
    for (char c : text) {
      if (c != '\r' && c != '\n' && c != '\0') head += c;
    }
  };
  for (const auto& h : r.headers) {
    append_clean(h.name);
    head += ": ";
    append_clean(h.value);
    head += "\r\n";
  }
  head += "Date: ";
  head += http_date();
  head += "\r\n";
  if (with_length) {
    head += "Content-Length: ";
    head += std::to_string(content_length);
    head += "\r\n";
  }
  if (!keep_alive) {
    head += "Connection: close\r\n";
  } else if (version == 10) {
    head += "Connection: keep-alive\r\n";
  }
  head += "\r\n";
  return head;
}

template <class Stream>
awaitable<bool> Server::Impl::write_response(Stream& stream, ConnectionHandle& handle, const Incoming& in,
                                             api::Response r) {
  const api::Request& req = in.req;
  boost::system::error_code ec;
  bool closing = !in.keep_alive || stopping.load();
  bool bodiless = r.status == 204 || r.status == 304 || r.status < 200;
  size_t length = bodiless ? 0 : r.source ? r.source_length : r.body.size();
  if (bodiless || req.method == "HEAD") {  // HEAD keeps the GET's Content-Length
    r.body.clear();
    r.source.reset();
  }
  std::string head = serialize_head(r, in.version, !closing, !bodiless, length);
  size_t body_bytes = r.source ? r.source_length : r.body.size();
  handle.expires_after(cfg.write_timeout);
  std::array<net::const_buffer, 2> buffers{net::buffer(head), net::buffer(r.body)};
  co_await net::async_write(stream, buffers, net::redirect_error(use_awaitable, ec));
  if (!ec && r.source) {
    constexpr size_t kPiece = 64 * 1024;
    auto piece = std::make_unique_for_overwrite<char[]>(kPiece);  // filled before it is read: not zeroed
    uint64_t sent = 0;
    while (sent < r.source_length) {
      auto n = r.source->read(piece.get(), size_t(std::min<uint64_t>(kPiece, r.source_length - sent)));
      if (!n.is_ok() || *n == 0) {
        log::error("response_stream_failed", {{"request_id", req.request_id},
                                              {"error", n.is_ok() ? std::string("ended early") : n.status().message()}});
        closing = true;  // the client sees a short body: never a silently truncated document
        break;
      }
      handle.expires_after(cfg.write_timeout);
      co_await net::async_write(stream, net::buffer(piece.get(), *n), net::redirect_error(use_awaitable, ec));
      if (ec) break;
      sent += *n;
    }
  }
  double secs = std::chrono::duration<double>(Clock::now() - in.start).count();
  metrics.observe_request(in.plan.route_label, req.method, r.status, secs);
  if (log::enabled(log::Level::kInfo)) {
    log::info("http_request", {{"request_id", req.request_id}, {"method", req.method}, {"path", req.path},
                               {"route", in.plan.route_label}, {"status", r.status}, {"bytes", body_bytes},
                               {"duration_ms", secs * 1000}, {"client", req.client_address}});
  }
  co_return !ec && !closing;
}

template awaitable<bool> Server::Impl::write_response<tcp::socket>(tcp::socket&, ConnectionHandle&, const Incoming&,
                                                                   api::Response);
template awaitable<bool> Server::Impl::write_response<TlsStream>(TlsStream&, ConnectionHandle&, const Incoming&,
                                                                 api::Response);

}  // namespace carnet::http
