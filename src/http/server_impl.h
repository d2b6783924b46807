// Private to src/http/: the server's pieces shared by its translation units — the listener
// (listener.cpp: accept, TLS, limits, drain), the request reader (request_reader.cpp: head,
// body, sinks) and the response writer (response_writer.cpp). The only header with
// Boost.Beast/Asio in Carnet.
#pragma once

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
#include <vector>

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

inline constexpr size_t kIdleReadSize = 512;
inline constexpr size_t kLingerBytes = 16u << 20;
inline constexpr auto kLingerTime = std::chrono::seconds(2);
inline constexpr auto kWatchdogPeriod = std::chrono::milliseconds(100);

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

struct IoThread {
  // Declared before the io_context so that it outlives the coroutine frames the io_context
  // destroys (their guards unregister from this set).
  std::unordered_set<ConnectionHandle*> connections;
  net::io_context ioc{1};
  std::optional<net::executor_work_guard<net::io_context::executor_type>> guard;
  std::thread thread;
};

using TlsStream = ssl::stream<tcp::socket>;

// Request ids: a random per-thread prefix and a counter (request_reader.cpp).
std::string next_request_id();
// An X-Request-Id from a trusted proxy that may be kept.
bool valid_incoming_request_id(std::string_view id);
bool iequals(std::string_view a, std::string_view b);
bool is_parse_error(const boost::system::error_code& ec);
// The status line and header block in one buffer (response_writer.cpp).
std::string serialize_head(const api::Response& r, unsigned version, bool keep_alive, bool with_length,
                           size_t content_length);

// One request as read from a connection, ready for its handler.
struct Incoming {
  Dispatcher::Plan plan;
  api::Request req;
  bool keep_alive = false;
  unsigned version = 11;
  Clock::time_point start;
};

struct Server::Impl {
  Impl(const Config& c, const Dispatcher& d, WorkerPool& w, WorkerPool& wr, Metrics& m)
      : cfg(c), dispatcher(d), workers(w), writers(wr), metrics(m) {}

  const Config& cfg;
  const Dispatcher& dispatcher;
  WorkerPool& workers;
  WorkerPool& writers;
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

  // listener.cpp
  Status listen();
  void run();
  void stop();
  awaitable<void> accept_loop();
  awaitable<void> watchdog(IoThread& t);
  awaitable<void> reject(tcp::socket sock);
  awaitable<void> connection(tcp::socket sock, IoThread& t);
  awaitable<void> drain();
  // The keep-alive loop of one connection: read a request, run its handler, write its response.
  template <class Stream>
  awaitable<void> session(Stream& stream, ConnectionHandle& handle, const std::string& peer, bool secure);
  awaitable<api::Response> run_on_worker(const Dispatcher::Plan& plan, api::Request& req);

  // request_reader.cpp. The next request of the connection, or nullopt when the connection
  // ends (closed, timed out, or an error answered here: malformed, too large, refused body).
  template <class Stream>
  awaitable<std::optional<Incoming>> read_request(Stream& stream, beast::flat_buffer& buffer, ConnectionHandle& handle,
                                                  const std::string& peer, bool secure);
  // Reads the body piece by piece into `sink`, the deadline restarting with every piece (a
  // large upload over a slow link goes through; a stalled one is cut). `sink_failed`: the
  // sink's refusal.
  template <class Stream>
  awaitable<void> stream_body(Stream& stream, beast::flat_buffer& buffer, ConnectionHandle& handle,
                              bhttp::request_parser<bhttp::string_body>& parser, api::BodySink& sink,
                              boost::system::error_code& ec, Status& sink_failed);
  // Runs `fn` (body sinks: encryption and disk) on the worker pool, off the I/O thread; `fn`
  // lives until the awaited call returns. (By reference: g++ 12 destroys a coroutine's
  // by-value std::function parameter twice.)
  awaitable<Status> offload(const std::function<Status()>& fn);
  template <class Stream>
  awaitable<void> send_error(Stream& stream, ConnectionHandle& handle, int status, std::string_view code,
                             std::string_view message, bool secure, const std::string& peer, Clock::time_point start,
                             std::string_view path = {});
  template <class Stream>
  awaitable<void> linger(Stream& stream, ConnectionHandle& handle);
  void note_timeout(const char* phase, const std::string& peer, Clock::time_point start);

  // response_writer.cpp. Writes the response (streamed bodies piece by piece) and logs the
  // request; false when the connection must end.
  template <class Stream>
  awaitable<bool> write_response(Stream& stream, ConnectionHandle& handle, const Incoming& in, api::Response r);
};

}  // namespace carnet::http
