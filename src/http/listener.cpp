// The listener: accept (round-robin to one io_context per I/O thread), TLS, the connection
// limit, deadlines (one watchdog per thread), the keep-alive loop of each connection, and
// graceful shutdown. Reading requests: request_reader.cpp; writing responses:
// response_writer.cpp.
#include "http/server_impl.h"

namespace carnet::http {

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

awaitable<api::Response> Server::Impl::run_on_worker(const Dispatcher::Plan& plan, api::Request& req) {
  auto ex = co_await net::this_coro::executor;
  co_return co_await net::async_initiate<const net::use_awaitable_t<>&, void(api::Response)>(
      [this, ex, &plan, &req](auto handler) {
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        const std::string& m = req.method;
        WorkerPool& pool = m == "GET" || m == "HEAD" || m == "OPTIONS" ? workers : writers;
        bool queued = pool.try_submit([this, ex, h, &plan, &req] {
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

template <class Stream>
awaitable<void> Server::Impl::session(Stream& stream, ConnectionHandle& handle, const std::string& peer, bool secure) {
  beast::flat_buffer buffer;
  for (;;) {
    std::optional<Incoming> in = co_await read_request(stream, buffer, handle, peer, secure);
    if (!in) co_return;
    handle.expires_never();  // the handler's time is bounded by the worker pool, not here
    // (No co_await inside a conditional expression: g++ 12 miscompiles it.)
    api::Response r;
    if (in->plan.on_worker) {
      r = co_await run_on_worker(in->plan, in->req);
    } else {
      r = dispatcher.execute(in->plan, in->req);
    }
    Dispatcher::decorate(r, in->req.request_id, in->req.secure);
    bool keep_going = co_await write_response(stream, handle, *in, std::move(r));
    if (!keep_going) co_return;
  }
}

Server::Server(const Config& config, const Dispatcher& dispatcher, WorkerPool& workers, WorkerPool& writers,
               Metrics& metrics)
    : impl_(std::make_unique<Impl>(config, dispatcher, workers, writers, metrics)) {}
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
