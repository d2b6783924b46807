// Start-up refusals, connection limit and graceful shutdown of a real carnetd process.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <thread>

#include "tests/integration/harness.h"

namespace carnet::itest {
namespace {

using namespace std::chrono_literals;

TEST(Lifecycle, InvalidConfigurationExitsWithCode2AndOneLine) {
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"--port", "70000"}, {"--idle-timeout", "forever"}, {"--no-such-flag"}, {"--host", "0.0.0.0"},
           {"--tls-cert", "/nonexistent.pem", "--tls-key", "/nonexistent.key"}}) {
    Carnetd d;
    ASSERT_TRUE(d.start({args, {}, false}));
    auto code = d.wait_exit(5s);
    ASSERT_TRUE(code) << args[0];
    EXPECT_EQ(*code, 2) << args[0];
    std::string err = d.stderr_text();
    EXPECT_EQ(err.rfind("carnetd: ", 0), 0u) << err;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  }
  Carnetd env;
  ASSERT_TRUE(env.start({{}, {{"CARNET_WORKERS", "zero"}}, false}));
  EXPECT_EQ(env.wait_exit(5s), 2);
}

TEST(Lifecycle, HelpListsEveryOption) {
  Carnetd d;
  ASSERT_TRUE(d.start({{"--help"}, {}, false}));
  EXPECT_EQ(d.wait_exit(5s), 0);
}

TEST(Lifecycle, KeyFileReadableByOthersIsRefused) {
  Carnetd first;
  ASSERT_TRUE(first.start());
  std::string key = first.data_dir() + "/master.key";
  struct stat st{};
  ASSERT_EQ(::stat(key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  first.signal(SIGTERM);
  ASSERT_EQ(first.wait_exit(10s), 0);

  ::chmod(key.c_str(), 0644);
  Carnetd second;
  ASSERT_TRUE(second.start({{"--data-dir", first.data_dir()}, {}, false}));
  EXPECT_EQ(second.wait_exit(5s), 1);
  EXPECT_NE(second.stderr_text().find("readable by group or others"), std::string::npos) << second.stderr_text();
}

TEST(Lifecycle, NewerSchemaOnDiskIsRefused) {
  Carnetd first;
  ASSERT_TRUE(first.start());
  first.signal(SIGTERM);
  ASSERT_EQ(first.wait_exit(10s), 0);
  int code = -1;
  std::string out = sql(first.data_dir(), "INSERT INTO schema_version VALUES (4242, '4242_future.sql', 'x')", &code);
  ASSERT_EQ(code, 0) << out;
  Carnetd second;
  ASSERT_TRUE(second.start({{"--data-dir", first.data_dir()}, {}, false}));
  EXPECT_EQ(second.wait_exit(5s), 1);
  EXPECT_NE(second.stderr_text().find("schema version 4242"), std::string::npos) << second.stderr_text();
}

TEST(Lifecycle, ConnectionLimitAnswers503AndRecovers) {
  Carnetd d;
  ASSERT_TRUE(d.start(args({"--max-connections", "4"})));
  std::vector<std::unique_ptr<Conn>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<Conn>(d.port()));
    ASSERT_TRUE(held.back()->send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    ASSERT_TRUE(held.back()->read_response());
  }
  auto refused = http_get(d.port(), "/healthz");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_FALSE(refused->header("x-request-id").empty());
  EXPECT_EQ(refused->header("x-content-type-options"), "nosniff");
  held.clear();
  std::optional<HttpResponse> ok;
  for (int i = 0; i < 50; ++i) {
    ok = http_get(d.port(), "/healthz");
    if (ok && ok->status == 200) break;
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

TEST(Lifecycle, GracefulShutdownFinishesInFlightRequests) {
  Carnetd d;
  ASSERT_TRUE(d.start(args({"--shutdown-timeout", "5s"})));
  Conn idle(d.port());
  ASSERT_TRUE(idle.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(idle.read_response());

  // An upload in progress when SIGTERM arrives.
  std::string body = R"({"csp-report":{"blocked-uri":"inline","violated-directive":"script-src"}})";
  Conn busy(d.port());
  ASSERT_TRUE(busy.send("POST /api/v1/csp-report HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
                        "\r\n\r\n" + body.substr(0, 10)));
  std::this_thread::sleep_for(200ms);
  d.signal(SIGTERM);
  EXPECT_TRUE(idle.closed_within(2s));  // idle keep-alive connections are closed at once
  std::this_thread::sleep_for(300ms);
  ASSERT_TRUE(busy.send(body.substr(10)));
  auto r = busy.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204);
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_EQ(d.wait_exit(5s), 0);
  // After shutdown nothing listens any more.
  Conn late(d.port());
  EXPECT_FALSE(late.ok() && late.send("GET /healthz HTTP/1.1\r\n\r\n") && late.read_response(500ms));
}

TEST(Lifecycle, ShutdownDeadlineBoundsStuckClients) {
  Carnetd d;
  ASSERT_TRUE(d.start(args({"--shutdown-timeout", "1s", "--body-timeout", "30s"})));
  Conn stuck(d.port());
  ASSERT_TRUE(stuck.send("POST /api/v1/csp-report HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"));
  std::this_thread::sleep_for(100ms);
  auto start = std::chrono::steady_clock::now();
  d.signal(SIGINT);
  EXPECT_EQ(d.wait_exit(5s), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

}  // namespace
}  // namespace carnet::itest
