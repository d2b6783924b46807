// The Boost.Beast/Asio part of Carnet: accept, TLS, read with limits and deadlines, write,
// graceful shutdown. Each I/O thread owns an io_context; the acceptor hands sockets out
// round-robin. Handlers run through the Dispatcher, on the worker pool unless inline.
#include <utility>  // Boost 1.74's Asio needs std::exchange declared first

#include "http/server.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <ctime>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>

#include "core/deferred.h"
#include "core/log.h"
#include "core/metrics.h"
#include "crypto/random.h"
#include "http/dispatcher.h"
#include "http/proxy_trust.h"
#include "http/worker_pool.h"

namespace carnet::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using net::awaitable;
using net::use_awaitable;
using Clock = std::chrono::steady_clock;

namespace {

constexpr size_t kIdleReadSize = 512;
constexpr size_t kLingerBytes = 16u << 20;
constexpr auto kLingerTime = std::chrono::seconds(2);

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

// Bookkeeping for one connection. Deadlines are plain values checked by one watchdog timer
// per I/O thread (every kWatchdogPeriod), which closes the socket of any connection past
// its deadline: no timer operation per read or write on the request path.
struct ConnectionHandle {
  bool idle = false;         // waiting for the next request
  bool timed_out = false;    // closed by the watchdog
  Clock::time_point deadline = Clock::time_point::max();
  std::function<void()> close;

  void expires_after(std::chrono::milliseconds d) { deadline = Clock::now() + d; }
  void expires_never() { deadline = Clock::time_point::max(); }
};

constexpr auto kWatchdogPeriod = std::chrono::milliseconds(100);

struct IoThread {
  // Declared before the io_context so that it outlives the coroutine frames the io_context
  // destroys (their guards unregister from this set).
  std::unordered_set<ConnectionHandle*> connections;
  net::io_context ioc{1};
  std::optional<net::executor_work_guard<net::io_context::executor_type>> guard;
  std::thread thread;
};

using TlsStream = ssl::stream<tcp::socket>;

}  // namespace

struct Server::Impl {
  Impl(const Config& c, const Dispatcher& d, WorkerPool& w, Metrics& m)
      : cfg(c), dispatcher(d), workers(w), metrics(m) {}

  const Config& cfg;
  const Dispatcher& dispatcher;
  WorkerPool& workers;
  Metrics& metrics;
  ProxyTrust proxies;
  std::atomic<bool> stopping{false};
  std::atomic<int> open{0};
  uint16_t port = 0;
  size_t next_io = 0;
  std::optional<ssl::context> tls;
  std::vector<std::unique_ptr<IoThread>> io;
  std::optional<tcp::acceptor> acceptor;
  std::optional<net::signal_set> signals;

  Status listen();
  void run();
  void stop();
  awaitable<void> accept_loop();
  awaitable<void> watchdog(IoThread& t);
  awaitable<void> reject(tcp::socket sock);
  awaitable<void> connection(tcp::socket sock, IoThread& t);
  template <class Stream>
  awaitable<void> session(Stream& stream, ConnectionHandle& handle, const std::string& peer, bool secure);
  template <class Stream>
  awaitable<void> send_error(Stream& stream, ConnectionHandle& handle, int status, std::string_view code,
                             std::string_view message, bool secure, const std::string& peer, Clock::time_point start,
                             std::string_view path = {});
  template <class Stream>
  awaitable<void> linger(Stream& stream, ConnectionHandle& handle);
  void note_timeout(const char* phase, const std::string& peer, Clock::time_point start);
  awaitable<api::Response> run_on_worker(const Dispatcher::Plan& plan, api::Request& req);
  awaitable<void> drain();
};

Status Server::Impl::listen() {
  auto trust = ProxyTrust::parse(cfg.trusted_proxies);
  if (!trust.is_ok()) return trust.status();
  proxies = std::move(trust.value());

  if (!cfg.tls_cert.empty()) {
    try {
      tls.emplace(ssl::context::tls_server);
      tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                       ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
      tls->use_certificate_chain_file(cfg.tls_cert);
      tls->use_private_key_file(cfg.tls_key, ssl::context::pem);
    } catch (const std::exception& e) {
      return Status::invalid("cannot load TLS certificate/key (" + cfg.tls_cert + ", " + cfg.tls_key + "): " + e.what());
    }
  }

  for (int i = 0; i < cfg.io_threads; ++i) io.push_back(std::make_unique<IoThread>());
  boost::system::error_code ec;
  std::string host = cfg.host == "localhost" ? "127.0.0.1" : cfg.host;
  auto address = net::ip::make_address(host, ec);
  if (ec) return Status::invalid("--host: '" + cfg.host + "' is not an IP address");
  tcp::endpoint ep(address, cfg.port);
  acceptor.emplace(io[0]->ioc);
  std::string where = cfg.host + ":" + std::to_string(cfg.port);
  acceptor->open(ep.protocol(), ec);
  if (!ec) acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(ep, ec);
  if (!ec) acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec) return Status::unavailable("cannot listen on " + where + ": " + ec.message());
  port = acceptor->local_endpoint().port();
  // Installed now, before anyone is told we listen: a signal from then on is queued for
  // run() instead of killing the process.
  signals.emplace(io[0]->ioc, SIGINT, SIGTERM);
  return Status::ok();
}

void Server::Impl::run() {
  signals->async_wait([this](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    log::info("shutdown_requested", {{"signal", signo == SIGTERM ? "SIGTERM" : "SIGINT"}});
    stop();
  });
  for (auto& t : io) {
    t->guard.emplace(t->ioc.get_executor());
    net::co_spawn(t->ioc, watchdog(*t), net::detached);
  }
  net::co_spawn(io[0]->ioc, accept_loop(), net::detached);
  for (size_t i = 1; i < io.size(); ++i) {
    io[i]->thread = std::thread([t = io[i].get()] {
      log::enable_thread_batching();
      t->ioc.run();
      log::flush_thread();
    });
  }
  log::enable_thread_batching();
  io[0]->ioc.run();
  log::flush_thread();
  for (size_t i = 1; i < io.size(); ++i) {
    if (io[i]->thread.joinable()) io[i]->thread.join();
  }
}

void Server::Impl::stop() {
  if (stopping.exchange(true)) return;
  net::post(io[0]->ioc, [this] {
    boost::system::error_code ec;
    if (acceptor) acceptor->close(ec);
    if (signals) signals->cancel(ec);
    for (auto& t : io) {
      net::post(t->ioc, [t = t.get()] {
        // Copy: closing a connection makes its coroutine unregister later, not now, but
        // keep iteration independent of that anyway.
        std::vector<ConnectionHandle*> idle;
        for (auto* c : t->connections) {
          if (c->idle) idle.push_back(c);
        }
        for (auto* c : idle) c->close();
      });
    }
    net::co_spawn(io[0]->ioc, drain(), net::detached);
  });
}

awaitable<void> Server::Impl::drain() {
  auto deadline = Clock::now() + cfg.shutdown_timeout;
  net::steady_timer timer(co_await net::this_coro::executor);
  while (open.load() > 0 && Clock::now() < deadline) {
    timer.expires_after(std::chrono::milliseconds(20));
    boost::system::error_code ec;
    co_await timer.async_wait(net::redirect_error(use_awaitable, ec));
  }
  if (open.load() > 0) {
    log::warn("shutdown_deadline_passed", {{"open_connections", open.load()}});
  }
  for (auto& t : io) {
    t->guard.reset();
    t->ioc.stop();
  }
}

awaitable<void> Server::Impl::accept_loop() {
  net::steady_timer backoff(io[0]->ioc);
  for (;;) {
    IoThread& target = *io[next_io++ % io.size()];
    tcp::socket sock(target.ioc);
    boost::system::error_code ec;
    co_await acceptor->async_accept(sock, net::redirect_error(use_awaitable, ec));
    if (ec) {
      if (stopping.load() || ec == net::error::operation_aborted) co_return;
      // Out of file descriptors and the like: wait instead of spinning.
      log::warn("accept_failed", {{"error", ec.message()}});
      backoff.expires_after(std::chrono::milliseconds(50));
      co_await backoff.async_wait(net::redirect_error(use_awaitable, ec));
      continue;
    }
    if (open.load() >= cfg.max_connections) {
      metrics.connection_rejected();
      net::co_spawn(target.ioc, reject(std::move(sock)), net::detached);
      continue;
    }
    open.fetch_add(1);
    metrics.connection_opened();
    net::co_spawn(target.ioc, connection(std::move(sock), target), net::detached);
  }
}

awaitable<void> Server::Impl::watchdog(IoThread& t) {
  net::steady_timer timer(t.ioc);
  boost::system::error_code ec;
  std::vector<ConnectionHandle*> expired;
  while (!stopping.load() || !t.connections.empty()) {
    timer.expires_after(kWatchdogPeriod);
    co_await timer.async_wait(net::redirect_error(use_awaitable, ec));
    if (ec) co_return;
    auto now = Clock::now();
    expired.clear();
    for (auto* c : t.connections) {
      if (c->deadline <= now) expired.push_back(c);
    }
    for (auto* c : expired) {
      c->timed_out = true;
      c->expires_never();
      c->close();
    }
    log::flush_thread();
  }
}

awaitable<void> Server::Impl::reject(tcp::socket sock) {
  boost::system::error_code ec;
  if (!tls) {
    // A fresh socket's send buffer takes these few hundred bytes at once: no timeout needed.
    std::string id = next_request_id();
    api::Response r = api::error_response(503, "unavailable", "too many connections; retry shortly", id);
    Dispatcher::decorate(r, id, false);
    std::string bytes = serialize_head(r, 11, false, true, r.body.size()) + r.body;
    co_await net::async_write(sock, net::buffer(bytes), net::redirect_error(use_awaitable, ec));
  }
  // (Over TLS an answer would need a handshake first: the connection is just closed.)
  sock.shutdown(tcp::socket::shutdown_both, ec);
  sock.close(ec);
}

awaitable<void> Server::Impl::connection(tcp::socket sock, IoThread& t) {
  struct OpenGuard {
    Impl* s;
    ~OpenGuard() {
      s->open.fetch_sub(1);
      s->metrics.connection_closed();
    }
  } guard{this};
  ConnectionHandle handle;
  t.connections.insert(&handle);
  struct Unregister {
    IoThread& t;
    ConnectionHandle* h;
    ~Unregister() { t.connections.erase(h); }
  } unregister{t, &handle};
  try {
    boost::system::error_code ec;
    sock.set_option(tcp::no_delay(true), ec);
    auto remote = sock.remote_endpoint(ec);
    std::string peer = ec ? std::string("unknown") : remote.address().to_string();
    if (tls) {
      TlsStream stream(std::move(sock), *tls);
      handle.close = [&stream] {
        boost::system::error_code ignored;
        stream.lowest_layer().shutdown(tcp::socket::shutdown_both, ignored);
        stream.lowest_layer().close(ignored);
      };
      handle.expires_after(cfg.header_timeout);
      co_await stream.async_handshake(ssl::stream_base::server, net::redirect_error(use_awaitable, ec));
      if (ec) {
        log::debug("tls_handshake_failed", {{"client", peer}, {"error", ec.message()}});
        co_return;
      }
      co_await session(stream, handle, peer, true);
      if (stream.lowest_layer().is_open()) {
        handle.expires_after(std::chrono::seconds(2));
        co_await stream.async_shutdown(net::redirect_error(use_awaitable, ec));
      }
    } else {
      handle.close = [&sock] {
        boost::system::error_code ignored;
        sock.shutdown(tcp::socket::shutdown_both, ignored);
        sock.close(ignored);
      };
      co_await session(sock, handle, peer, false);
      sock.shutdown(tcp::socket::shutdown_send, ec);
    }
  } catch (const std::exception& e) {
    log::error("connection_failed", {{"error", e.what()}});
  }
}

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

awaitable<api::Response> Server::Impl::run_on_worker(const Dispatcher::Plan& plan, api::Request& req) {
  auto ex = co_await net::this_coro::executor;
  co_return co_await net::async_initiate<const net::use_awaitable_t<>&, void(api::Response)>(
      [this, ex, &plan, &req](auto handler) {
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        bool queued = workers.try_submit([this, ex, h, &plan, &req] {
          log::ScopedRequestId scoped(req.request_id);
          DeferredWaits::Scope waits;
          api::Response r = dispatcher.execute(plan, req);
          auto pending = waits.take();
          if (pending.empty()) {
            net::post(ex, [h, r = std::move(r)]() mutable { (*h)(std::move(r)); });
            return;
          }
          // The response leaves once what the handler wrote is durable (audit events are
          // group-committed); the worker moves on meanwhile.
          struct Join {
            std::mutex mu;
            size_t left;
            Status failure = Status::ok();
            api::Response response;
          };
          auto join = std::make_shared<Join>();
          join->left = pending.size();
          join->response = std::move(r);
          std::string id = req.request_id, path = plan.path;
          for (auto& wait : pending) {
            wait([join, ex, h, id, path](Status s) {
              std::unique_lock lock(join->mu);
              if (!s.is_ok() && join->failure.is_ok()) join->failure = s;
              if (--join->left > 0) return;
              lock.unlock();
              api::Response out =
                  join->failure.is_ok()
                      ? std::move(join->response)
                      : api::error_response_for(path, 503, "unavailable", "the access could not be recorded; retry", id);
              if (!join->failure.is_ok()) log::error("deferred_write_failed", {{"error", join->failure.message()}});
              net::post(ex, [h, out = std::move(out)]() mutable { (*h)(std::move(out)); });
            });
          }
        });
        if (!queued) {
          net::post(ex, [h, id = req.request_id]() mutable {
            (*h)(api::error_response(503, "unavailable", "server is overloaded; retry shortly", id));
          });
        }
      },
      use_awaitable);
}

namespace {

bool is_parse_error(const boost::system::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
         ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message && ec != bhttp::error::need_more;
}

}  // namespace

template <class Stream>
awaitable<void> Server::Impl::session(Stream& stream, ConnectionHandle& handle, const std::string& peer, bool secure) {
  beast::flat_buffer buffer;
  boost::system::error_code ec;
  for (;;) {
    // 1. Wait for the next request (keep-alive idle time), reading only a little.
    if (buffer.size() == 0) {
      if (stopping.load()) co_return;
      if (buffer.capacity() > 8192) buffer.shrink_to_fit();  // idle connections stay small
      handle.idle = true;
      handle.expires_after(cfg.idle_timeout);
      size_t n = co_await stream.async_read_some(buffer.prepare(kIdleReadSize), net::redirect_error(use_awaitable, ec));
      handle.idle = false;
      if (ec) co_return;  // closed, idle timeout or shutdown: nothing to answer
      buffer.commit(n);
    }
    Clock::time_point start = Clock::now();

    // 2. The header, whole, within the header deadline (a trickling client cannot stretch
    //    it). Usually it is already buffered and parses without another operation.
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(cfg.max_header_bytes);
    // The route's own limit is applied once the request line is known (below).
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    size_t used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    if (ec == bhttp::error::need_more) {
      ec = {};
      handle.expires_after(cfg.header_timeout);
      co_await bhttp::async_read_header(stream, buffer, parser, net::redirect_error(use_awaitable, ec));
    }
    if (ec) {
      if (handle.timed_out) {
        note_timeout("header", peer, start);  // the watchdog closed the socket: nothing to answer
      } else if (ec == bhttp::error::header_limit) {
        co_await send_error(stream, handle, 431, "header_too_large",
                            "request header exceeds " + std::to_string(cfg.max_header_bytes) + " bytes", secure, peer,
                            start);
        co_await linger(stream, handle);
      } else if (is_parse_error(ec)) {
        co_await send_error(stream, handle, 400, "bad_request", "malformed HTTP request: " + ec.message(), secure, peer,
                            start);
        co_await linger(stream, handle);
      }
      co_return;
    }
    auto& hreq = parser.get();
    std::string method(hreq.method_string());
    std::string target(hreq.target());
    Dispatcher::Plan plan = dispatcher.plan(method, target);

    // 3. The request as handlers see it, from the head.
    api::Request req;
    req.method = std::move(method);
    req.target = std::move(target);
    req.path = plan.path;
    req.query = plan.query;
    req.headers.reserve(8);
    for (const auto& f : hreq) {
      std::string name(f.name_string());
      for (char& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
      req.headers.push_back({std::move(name), std::string(f.value())});
    }
    bool from_proxy = !proxies.empty() && proxies.trusts(peer);
    req.client_address = from_proxy ? proxies.client_address(peer, req.header("x-forwarded-for")) : peer;
    req.secure = secure || (from_proxy && iequals(req.header("x-forwarded-proto"), "https"));
    std::string_view incoming_id = req.header("x-request-id");
    req.request_id = from_proxy && valid_incoming_request_id(incoming_id) ? std::string(incoming_id) : next_request_id();
    bool keep_alive = hreq.keep_alive();
    unsigned version = hreq.version();

    // 4. The body, within the route's limit and the body deadline: whole, or streamed into
    //    the route's sink.
    auto declared = parser.content_length();
    if (declared && *declared > plan.body_limit) {
      co_await send_error(stream, handle, 413, "too_large",
                          "request body exceeds " + std::to_string(plan.body_limit) + " bytes", secure, peer, start,
                          plan.path);
      co_await linger(stream, handle);
      co_return;
    }
    parser.body_limit(plan.body_limit);
    if (plan.open_body) {
      Status refused = Status::ok();
      try {
        auto sink = (*plan.open_body)(req);
        if (sink.is_ok()) {
          req.sink = std::move(*sink);
        } else {
          refused = sink.status();
        }
      } catch (const std::exception& e) {
        log::error("body_sink_failed", {{"route", plan.route_label}, {"error", e.what()}});
        refused = Status::internal("cannot receive the body");
      }
      if (!refused.is_ok()) {
        co_await send_error(stream, handle, api::http_status_for(refused.code()), "refused", refused.message(), secure,
                            peer, start, plan.path);
        co_await linger(stream, handle);
        co_return;
      }
    }
    if (!parser.is_done()) {
      // Beast reads as much as the buffer's free capacity (at least 512 bytes): room for
      // large reads, or a body costs a system call per half kilobyte.
      constexpr uint64_t kBodyReadRoom = 64 * 1024;
      buffer.reserve(buffer.size() + size_t(std::min<uint64_t>(declared.value_or(kBodyReadRoom), kBodyReadRoom)));
      if (iequals(hreq[bhttp::field::expect], "100-continue")) {
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        handle.expires_after(cfg.write_timeout);
        co_await net::async_write(stream, net::buffer(kContinue.data(), kContinue.size()),
                                  net::redirect_error(use_awaitable, ec));
        if (ec) co_return;
      }
      Status sink_failed = Status::ok();
      if (req.sink) {
        // Piece by piece: the deadline restarts with every piece, so a large upload over a
        // slow link goes through while a stalled one is cut.
        bhttp::request_parser<bhttp::buffer_body> streaming(std::move(parser));
        constexpr size_t kPiece = 64 * 1024;
        auto piece = std::make_unique<char[]>(kPiece);
        while (!streaming.is_done()) {
          streaming.get().body().data = piece.get();
          streaming.get().body().size = kPiece;
          handle.expires_after(cfg.body_timeout);
          co_await bhttp::async_read_some(stream, buffer, streaming, net::redirect_error(use_awaitable, ec));
          if (ec == bhttp::error::need_buffer) ec = {};
          if (ec) break;
          size_t n = kPiece - streaming.get().body().size;
          if (n > 0) {
            sink_failed = req.sink->write(std::string_view(piece.get(), n));
            if (!sink_failed.is_ok()) break;
          }
        }
      } else {
        handle.expires_after(cfg.body_timeout);
        co_await bhttp::async_read(stream, buffer, parser, net::redirect_error(use_awaitable, ec));
      }
      if (!ec && !sink_failed.is_ok()) {
        co_await send_error(stream, handle, api::http_status_for(sink_failed.code()), "refused", sink_failed.message(),
                            secure, peer, start, plan.path);
        co_await linger(stream, handle);
        co_return;
      }
      if (ec) {
        if (handle.timed_out) {
          note_timeout("body", peer, start);
        } else if (ec == bhttp::error::body_limit) {
          co_await send_error(stream, handle, 413, "too_large",
                              "request body exceeds " + std::to_string(plan.body_limit) + " bytes", secure, peer, start,
                              plan.path);
          co_await linger(stream, handle);
        } else if (is_parse_error(ec)) {
          co_await send_error(stream, handle, 400, "bad_request", "malformed request body: " + ec.message(), secure,
                              peer, start, plan.path);
          co_await linger(stream, handle);
        }
        co_return;  // a truncated upload is never handed to a handler (its sink cleans up)
      }
    }
    // (A sink is finished by the dispatcher, on the handler's thread: finishing may wait for
    // the disk, which the I/O thread must not.)
    if (!req.sink) req.body = std::move(parser.get().body());
    handle.expires_never();  // the handler's time is bounded by the worker pool, not here

    // 5. Run the handler.
    // (No co_await inside a conditional expression: g++ 12 miscompiles it.)
    api::Response r;
    if (plan.on_worker) {
      r = co_await run_on_worker(plan, req);
    } else {
      r = dispatcher.execute(plan, req);
    }
    Dispatcher::decorate(r, req.request_id, req.secure);

    // 6. Write the response: header block and body in one gathered write, or a streamed
    //    body piece by piece after the header.
    bool closing = !keep_alive || stopping.load();
    bool bodiless = r.status == 204 || r.status == 304 || r.status < 200;
    size_t length = bodiless ? 0 : r.source ? r.source_length : r.body.size();
    if (bodiless || req.method == "HEAD") {  // HEAD keeps the GET's Content-Length
      r.body.clear();
      r.source.reset();
    }
    std::string head = serialize_head(r, version, !closing, !bodiless, length);
    size_t body_bytes = r.source ? r.source_length : r.body.size();
    handle.expires_after(cfg.write_timeout);
    std::array<net::const_buffer, 2> buffers{net::buffer(head), net::buffer(r.body)};
    co_await net::async_write(stream, buffers, net::redirect_error(use_awaitable, ec));
    if (!ec && r.source) {
      constexpr size_t kPiece = 64 * 1024;
      auto piece = std::make_unique<char[]>(kPiece);
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

    double secs = std::chrono::duration<double>(Clock::now() - start).count();
    metrics.observe_request(plan.route_label, req.method, r.status, secs);
    if (log::enabled(log::Level::kInfo)) {
      log::info("http_request", {{"request_id", req.request_id}, {"method", req.method}, {"path", req.path},
                                 {"route", plan.route_label}, {"status", r.status}, {"bytes", body_bytes},
                                 {"duration_ms", secs * 1000}, {"client", req.client_address}});
    }
    if (ec || closing) co_return;
  }
}

Server::Server(const Config& config, const Dispatcher& dispatcher, WorkerPool& workers, Metrics& metrics)
    : impl_(std::make_unique<Impl>(config, dispatcher, workers, metrics)) {}
Server::~Server() = default;
Status Server::listen() { return impl_->listen(); }
uint16_t Server::port() const { return impl_->port; }
std::string Server::url() const {
  std::string host = impl_->cfg.host.find(':') != std::string::npos ? "[" + impl_->cfg.host + "]" : impl_->cfg.host;
  return (impl_->tls ? "https://" : "http://") + host + ":" + std::to_string(impl_->port);
}
void Server::run() { impl_->run(); }
void Server::stop() { impl_->stop(); }

}  // namespace carnet::http
