// The HTTP/1.1 server (Boost.Beast/Asio, C++20 coroutines): the only place that knows about
// sockets. It moves bytes, enforces limits and timeouts, and hands each request to the
// Dispatcher (inline or on the worker pool).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/config.h"
#include "core/status.h"

namespace carnet {
class Metrics;
}

namespace carnet::http {

class Dispatcher;
class WorkerPool;

class Server {
 public:
  // `writers` runs the requests that write (POST, PUT, PATCH, DELETE), `workers` the others.
  Server(const Config& config, const Dispatcher& dispatcher, WorkerPool& workers, WorkerPool& writers, Metrics& metrics);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Loads TLS material and binds the listening socket. After it, port() is the real port.
  Status listen();
  uint16_t port() const;
  std::string url() const;

  // Serves until SIGTERM/SIGINT or stop(); then stops accepting, closes idle connections,
  // lets in-flight requests finish within --shutdown-timeout, and returns.
  void run();
  // Starts the graceful shutdown; callable from any thread.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace carnet::http
