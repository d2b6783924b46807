// The ceiling reference for bench/run: the smallest reasonable Boost.Beast server answering
// GET /healthz with the same JSON body and keep-alive, with the same thread layout as carnetd
// (one io_context per I/O thread, one acceptor handing sockets out). No routing, no limits,
// no logging, no metrics, no security headers: what carnetd costs on top of Beast.
// (bench/ is outside the product; Beast here is the point of the comparison.)
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

net::awaitable<void> session(tcp::socket sock) {
  beast::tcp_stream stream(std::move(sock));
  beast::flat_buffer buffer;
  boost::system::error_code ec;
  for (;;) {
    http::request<http::string_body> req;
    co_await http::async_read(stream, buffer, req, net::redirect_error(net::use_awaitable, ec));
    if (ec) break;
    http::response<http::string_body> res{http::status::ok, req.version()};
    res.set(http::field::content_type, "application/json; charset=utf-8");
    res.body() = "{\"status\":\"ok\"}";
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    co_await http::async_write(stream, res, net::redirect_error(net::use_awaitable, ec));
    if (ec || !req.keep_alive()) break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: beast_ceiling PORT THREADS\n";
    return 2;
  }
  auto port = static_cast<unsigned short>(std::atoi(argv[1]));
  int threads = std::max(1, std::atoi(argv[2]));
  std::vector<std::unique_ptr<net::io_context>> ios;
  std::vector<net::executor_work_guard<net::io_context::executor_type>> guards;
  for (int i = 0; i < threads; ++i) {
    ios.push_back(std::make_unique<net::io_context>(1));
    guards.push_back(net::make_work_guard(*ios.back()));
  }
  tcp::acceptor acceptor(*ios[0], {net::ip::make_address("127.0.0.1"), port});
  net::co_spawn(*ios[0], [&]() -> net::awaitable<void> {
    for (size_t next = 0;; ++next) {
      auto& target = *ios[next % ios.size()];
      tcp::socket sock(target);
      co_await acceptor.async_accept(sock, net::use_awaitable);
      sock.set_option(tcp::no_delay(true));
      net::co_spawn(target, session(std::move(sock)), net::detached);
    }
  }, net::detached);
  std::cout << "beast_ceiling listening on http://127.0.0.1:" << acceptor.local_endpoint().port() << std::endl;
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&, i] { ios[size_t(i)]->run(); });
  ios[0]->run();
  for (auto& t : pool) t.join();
}
