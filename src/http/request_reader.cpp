// The request reader: waits for the next request of a keep-alive connection, reads its head
// within the header deadline, builds the api::Request (trusted proxies' forwarded fields), and
// reads its body within the route's limit and the body deadline — whole, or piece by piece
// into the route's sink, whose writes that may block run on the worker pool (encryption and
// disk stay off the I/O threads). Every failure is answered here, and ends the connection.
#include "http/server_impl.h"

namespace carnet::http {

// Request ids: a random per-thread prefix and a counter; unique across threads and
// processes with overwhelming probability, and free of syscalls on the request path.
std::string next_request_id() {
  thread_local std::string prefix = crypto::random_token(9);  // 12 characters
  thread_local uint64_t counter = 0;
  char buf[24];
  int n = std::snprintf(buf, sizeof buf, "%llx", (unsigned long long)++counter);
  std::string id;
  id.reserve(prefix.size() + 1 + size_t(n));
  id += prefix;
  id += '-';
  id.append(buf, size_t(n));
  return id;
}

bool valid_incoming_request_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

bool is_parse_error(const boost::system::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
         ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message && ec != bhttp::error::need_more;
}

namespace {

// The request as handlers see it, from its head.
Incoming incoming_of(const bhttp::request<bhttp::string_body>& head, Dispatcher::Plan plan, const ProxyTrust& proxies,
                     const std::string& peer, bool secure, Clock::time_point start) {
  Incoming in;
  in.plan = std::move(plan);
  in.start = start;
  api::Request& req = in.req;
  req.method = std::string(head.method_string());
  req.target = std::string(head.target());
  req.path = in.plan.path;
  req.query = in.plan.query;
  req.headers.reserve(8);
  for (const auto& f : head) {
    std::string name(f.name_string());
    for (char& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
    req.headers.push_back({std::move(name), std::string(f.value())});
  }
  bool from_proxy = !proxies.empty() && proxies.trusts(peer);
  req.client_address = from_proxy ? proxies.client_address(peer, req.header("x-forwarded-for")) : peer;
  req.secure = secure || (from_proxy && iequals(req.header("x-forwarded-proto"), "https"));
  std::string_view incoming_id = req.header("x-request-id");
  req.request_id = from_proxy && valid_incoming_request_id(incoming_id) ? std::string(incoming_id) : next_request_id();
  in.keep_alive = head.keep_alive();
  in.version = head.version();
  return in;
}

}  // namespace

template <class Stream>
awaitable<void> Server::Impl::send_error(Stream& stream, ConnectionHandle& handle, int status, std::string_view code,
                                         std::string_view message, bool secure, const std::string& peer,
                                         Clock::time_point start, std::string_view path) {
  std::string id = next_request_id();
  api::Response r = api::error_response_for(path, status, code, message, id);
  Dispatcher::decorate(r, id, secure);
  std::string head = serialize_head(r, 11, false, true, r.body.size());
  handle.expires_after(cfg.write_timeout);
  boost::system::error_code ec;
  std::array<net::const_buffer, 2> buffers{net::buffer(head), net::buffer(r.body)};
  co_await net::async_write(stream, buffers, net::redirect_error(use_awaitable, ec));
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  metrics.observe_request("unparsed", "-", status, secs);
  log::info("http_request", {{"request_id", id}, {"status", status}, {"client", peer}, {"error", code},
                             {"duration_ms", secs * 1000}});
}

void Server::Impl::note_timeout(const char* phase, const std::string& peer, Clock::time_point start) {
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  metrics.observe_request("unparsed", "-", 408, secs);
  log::info("request_timeout", {{"phase", phase}, {"client", peer}, {"duration_ms", secs * 1000}});
}

template <class Stream>
awaitable<void> Server::Impl::linger(Stream& stream, ConnectionHandle& handle) {
  // Read and drop what the client is still sending (bounded in bytes and time), so that
  // closing does not reset the connection before the client has read our error response.
  boost::system::error_code ec;
  if constexpr (std::is_same_v<Stream, tcp::socket>) {
    stream.shutdown(tcp::socket::shutdown_send, ec);
  }
  handle.expires_after(kLingerTime);
  char sink[16 * 1024];
  size_t total = 0;
  while (total < kLingerBytes) {
    size_t n = co_await stream.async_read_some(net::buffer(sink), net::redirect_error(use_awaitable, ec));
    if (ec) break;
    total += n;
  }
}

template <class Stream>
awaitable<void> Server::Impl::stream_body(Stream& stream, beast::flat_buffer& buffer, ConnectionHandle& handle,
                                          bhttp::request_parser<bhttp::string_body>& parser, api::BodySink& sink,
                                          boost::system::error_code& ec, Status& sink_failed) {
  bhttp::request_parser<bhttp::buffer_body> streaming(std::move(parser));
  constexpr size_t kPiece = 64 * 1024;
  auto piece = std::make_unique_for_overwrite<char[]>(kPiece);  // filled before it is read: not zeroed
  while (!streaming.is_done()) {
    streaming.get().body().data = piece.get();
    streaming.get().body().size = kPiece;
    handle.expires_after(cfg.body_timeout);
    co_await bhttp::async_read_some(stream, buffer, streaming, net::redirect_error(use_awaitable, ec));
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) co_return;
    size_t n = kPiece - streaming.get().body().size;
    if (n == 0) continue;
    std::string_view bytes(piece.get(), n);
    if (!sink.may_block(n)) {
      sink_failed = sink.write(bytes);
    } else {
      std::function<Status()> write = [&sink, bytes] { return sink.write(bytes); };
      sink_failed = co_await offload(write);
    }
    if (!sink_failed.is_ok()) co_return;
  }
}

awaitable<Status> Server::Impl::offload(const std::function<Status()>& fn) {
  auto ex = co_await net::this_coro::executor;
  co_return co_await net::async_initiate<const net::use_awaitable_t<>&, void(Status)>(
      [this, ex, &fn](auto handler) {
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        const std::function<Status()>* job = &fn;  // the awaiting caller keeps it alive
        bool queued = workers.try_submit([ex, h, job] {
          Status s;
          try {
            s = (*job)();
          } catch (const std::exception& e) {
            s = Status::internal(std::string("cannot receive the body: ") + e.what());
          }
          net::post(ex, [h, s = std::move(s)]() mutable { (*h)(std::move(s)); });
        });
        if (!queued) {
          net::post(ex, [h]() mutable { (*h)(Status::unavailable("server is overloaded; retry shortly")); });
        }
      },
      use_awaitable);
}

template <class Stream>
awaitable<std::optional<Incoming>> Server::Impl::read_request(Stream& stream, beast::flat_buffer& buffer,
                                                              ConnectionHandle& handle, const std::string& peer,
                                                              bool secure) {
  boost::system::error_code ec;
  // 1. Wait for the next request (keep-alive idle time), reading only a little.
  if (buffer.size() == 0) {
    if (stopping.load()) co_return std::nullopt;
    if (buffer.capacity() > 8192) buffer.shrink_to_fit();  // idle connections stay small
    handle.idle = true;
    handle.expires_after(cfg.idle_timeout);
    size_t n = co_await stream.async_read_some(buffer.prepare(kIdleReadSize), net::redirect_error(use_awaitable, ec));
    handle.idle = false;
    if (ec) co_return std::nullopt;  // closed, idle timeout or shutdown: nothing to answer
    buffer.commit(n);
  }
  Clock::time_point start = Clock::now();
  // 2. The header, whole, within the header deadline (a trickling client cannot stretch it).
  //    Usually it is already buffered and parses without another operation.
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(cfg.max_header_bytes);
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());  // the route's, once it is known
  buffer.consume(parser.put(buffer.data(), ec));
  if (ec == bhttp::error::need_more) {
    ec = {};
    handle.expires_after(cfg.header_timeout);
    co_await bhttp::async_read_header(stream, buffer, parser, net::redirect_error(use_awaitable, ec));
  }
  if (ec) {
    if (handle.timed_out) {
      note_timeout("header", peer, start);  // the watchdog closed the socket: nothing to answer
    } else if (ec == bhttp::error::header_limit || is_parse_error(ec)) {
      // Arguments built first: g++ 12 destroys the temporaries of a conditional expression
      // inside a co_await twice.
      bool large = ec == bhttp::error::header_limit;
      int status = large ? 431 : 400;
      std::string code = large ? "header_too_large" : "bad_request";
      std::string message = large ? "request header exceeds " + std::to_string(cfg.max_header_bytes) + " bytes"
                                  : "malformed HTTP request: " + ec.message();
      co_await send_error(stream, handle, status, code, message, secure, peer, start);
      co_await linger(stream, handle);
    }
    co_return std::nullopt;
  }
  // 3. The request as handlers see it.
  const auto& head = parser.get();
  Incoming in = incoming_of(head, dispatcher.plan(head.method_string(), head.target()), proxies, peer, secure, start);
  const Dispatcher::Plan& plan = in.plan;
  // 4. The body, within the route's limit and the body deadline: whole, or streamed into the
  //    route's sink (fed from the worker pool when a write may block).
  auto declared = parser.content_length();
  if (declared && *declared > plan.body_limit) {
    co_await send_error(stream, handle, 413, "too_large", "request body exceeds " + std::to_string(plan.body_limit) + " bytes", secure, peer, start, plan.path);
    co_await linger(stream, handle);
    co_return std::nullopt;
  }
  parser.body_limit(plan.body_limit);
  if (plan.open_body) {
    auto opened = (*plan.open_body)(in.req);
    if (opened.is_ok()) in.req.sink = std::move(*opened);
    if (!opened.is_ok()) {
      co_await send_error(stream, handle, api::http_status_for(opened.status().code()), "refused", opened.status().message(), secure, peer, start, plan.path);
      co_await linger(stream, handle);
      co_return std::nullopt;
    }
  }
  if (!parser.is_done()) {
    // Beast reads as much as the buffer's free capacity (at least 512 bytes): room for
    // large reads, or a body costs a system call per half kilobyte.
    constexpr uint64_t kBodyReadRoom = 64 * 1024;
    buffer.reserve(buffer.size() + size_t(std::min<uint64_t>(declared.value_or(kBodyReadRoom), kBodyReadRoom)));
    if (iequals(head[bhttp::field::expect], "100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      handle.expires_after(cfg.write_timeout);
      co_await net::async_write(stream, net::buffer(kContinue.data(), kContinue.size()),
                                net::redirect_error(use_awaitable, ec));
      if (ec) co_return std::nullopt;
    }
    Status sink_failed = Status::ok();
    if (in.req.sink) {
      co_await stream_body(stream, buffer, handle, parser, *in.req.sink, ec, sink_failed);
    } else {
      handle.expires_after(cfg.body_timeout);
      co_await bhttp::async_read(stream, buffer, parser, net::redirect_error(use_awaitable, ec));
    }
    if (!ec && !sink_failed.is_ok()) {
      co_await send_error(stream, handle, api::http_status_for(sink_failed.code()), "refused", sink_failed.message(), secure, peer, start, plan.path);
      co_await linger(stream, handle);
      co_return std::nullopt;
    }
    if (ec) {
      if (handle.timed_out) {
        note_timeout("body", peer, start);
      } else if (ec == bhttp::error::body_limit) {
        co_await send_error(stream, handle, 413, "too_large", "request body exceeds " + std::to_string(plan.body_limit) + " bytes", secure, peer, start, plan.path);
        co_await linger(stream, handle);
      } else if (is_parse_error(ec)) {
        co_await send_error(stream, handle, 400, "bad_request", "malformed request body: " + ec.message(), secure, peer, start, plan.path);
        co_await linger(stream, handle);
      }
      co_return std::nullopt;  // a truncated upload is never handed to a handler (its sink cleans up)
    }
  }
  // (A sink is finished by the dispatcher, on the handler's thread: finishing may wait for
  // the disk, which the I/O thread must not.)
  if (!in.req.sink) in.req.body = std::move(parser.get().body());
  co_return in;
}

template awaitable<std::optional<Incoming>> Server::Impl::read_request<tcp::socket>(tcp::socket&, beast::flat_buffer&,
                                                                                    ConnectionHandle&, const std::string&,
                                                                                    bool);
template awaitable<std::optional<Incoming>> Server::Impl::read_request<TlsStream>(TlsStream&, beast::flat_buffer&,
                                                                                  ConnectionHandle&, const std::string&,
                                                                                  bool);

}  // namespace carnet::http
