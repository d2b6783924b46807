// carnetd over real HTTP: routes, headers, static files, metrics, access log.
#include <gtest/gtest.h>

#include <thread>

#include "tests/integration/harness.h"

namespace carnet::itest {
namespace {

class ServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new Carnetd();
    ASSERT_TRUE(server_->start()) << server_->stderr_text();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static int port() { return server_->port(); }
  static Carnetd* server_;
};
Carnetd* ServerTest::server_ = nullptr;

void expect_security_headers(const HttpResponse& r) {
  EXPECT_NE(r.header("content-security-policy").find("default-src 'self'"), std::string::npos);
  EXPECT_NE(r.header("content-security-policy").find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(r.header("x-content-type-options"), "nosniff");
  EXPECT_EQ(r.header("referrer-policy"), "no-referrer");
  EXPECT_FALSE(r.header("x-request-id").empty());
  EXPECT_TRUE(r.header("strict-transport-security").empty());  // plain HTTP: no HSTS
}

TEST_F(ServerTest, HealthzAnswersWithSecurityHeaders) {
  auto r = http_get(port(), "/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "{\"status\":\"ok\"}");
  EXPECT_EQ(r->header("content-type"), "application/json; charset=utf-8");
  expect_security_headers(*r);
  auto head = http_request(port(), "HEAD", "/healthz", "");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("content-length"), "15");
}

TEST_F(ServerTest, ReadyzChecksStorage) {
  auto r = http_get(port(), "/readyz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "{\"status\":\"ready\"}");
}

TEST_F(ServerTest, RequestIdsAreUniqueAndErrorsCarryThem) {
  auto a = http_get(port(), "/healthz");
  auto b = http_get(port(), "/healthz");
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->header("x-request-id"), b->header("x-request-id"));
  auto nf = http_get(port(), "/api/v1/nothing-here");
  ASSERT_TRUE(nf);
  EXPECT_EQ(nf->status, 404);
  EXPECT_NE(nf->body.find("\"error\":\"not_found\""), std::string::npos);
  EXPECT_NE(nf->body.find(nf->header("x-request-id")), std::string::npos);
  expect_security_headers(*nf);
}

TEST_F(ServerTest, WrongMethodGets405WithAllow) {
  auto r = http_request(port(), "DELETE", "/healthz", "");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->header("allow"), "GET, HEAD");
  auto p = http_request(port(), "GET", "/api/v1/csp-report", "");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->status, 405);
  EXPECT_EQ(p->header("allow"), "POST");
}

TEST_F(ServerTest, StaticFilesMimeEtagAndSpaFallback) {
  auto idx = http_get(port(), "/");
  ASSERT_TRUE(idx);
  EXPECT_EQ(idx->status, 200);
  EXPECT_EQ(idx->header("content-type"), "text/html; charset=utf-8");
  expect_security_headers(*idx);
  auto js = http_get(port(), "/assets/app-abc123.js");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->status, 200);
  EXPECT_EQ(js->header("content-type"), "text/javascript; charset=utf-8");
  std::string etag = js->header("etag");
  ASSERT_FALSE(etag.empty());
  auto again = http_get(port(), "/assets/app-abc123.js", {"If-None-Match: " + etag});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 304);
  EXPECT_TRUE(again->body.empty());
  auto page = http_get(port(), "/mon-espace/agenda");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("<title>Carnet</title>"), std::string::npos);
  EXPECT_EQ(http_get(port(), "/assets/missing.js")->status, 404);
  EXPECT_EQ(http_get(port(), "/fhir/r4/Unknown/1/2/3/4")->status, 404);
}

TEST_F(ServerTest, PathTraversalNeverLeavesTheRoot) {
  for (const char* p : {"/../../../../etc/passwd", "/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/assets/..%2f..%2f..%2fetc/passwd",
                        "/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd", "/..%5c..%5cetc%5cpasswd", "//etc/passwd",
                        "/assets/%2e%2e/%2e%2e/stderr.log"}) {
    auto r = http_get(port(), p);
    ASSERT_TRUE(r) << p;
    EXPECT_NE(r->status, 500) << p;
    EXPECT_EQ(r->body.find("root:"), std::string::npos) << p;
    EXPECT_EQ(r->body.find("\"event\""), std::string::npos) << p;
  }
}

TEST_F(ServerTest, CspReportEndpointValidatesJson) {
  auto ok = http_request(port(), "POST", "/api/v1/csp-report",
                         R"({"csp-report":{"document-uri":"http://x/","blocked-uri":"inline","violated-directive":"script-src"}})",
                         {"Content-Type: application/csp-report"});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 204);
  auto bad = http_request(port(), "POST", "/api/v1/csp-report", "{\"csp-report\": [", {"Content-Type: application/json"});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(bad->body.find("not valid JSON"), std::string::npos);
  auto wrong_type = http_request(port(), "POST", "/api/v1/csp-report", "\"just a string\"");
  ASSERT_TRUE(wrong_type);
  EXPECT_EQ(wrong_type->status, 400);
}

TEST_F(ServerTest, MetricsInPrometheusFormat) {
  ASSERT_TRUE(http_get(port(), "/healthz"));
  auto r = http_get(port(), "/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  for (const char* needle : {"carnet_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"}",
                             "carnet_http_request_duration_seconds_bucket{route=\"/healthz\",method=\"GET\",le=\"+Inf\"}",
                             "carnet_http_open_connections ", "carnet_worker_queue_depth "}) {
    EXPECT_NE(r->body.find(needle), std::string::npos) << needle;
  }
  // Raw paths never become labels.
  ASSERT_TRUE(http_get(port(), "/api/v1/random-path-xyz"));
  EXPECT_EQ(http_get(port(), "/metrics")->body.find("random-path-xyz"), std::string::npos);
}

TEST_F(ServerTest, AccessLogIsJsonWithoutQueryStrings) {
  auto r = http_get(port(), "/healthz?access_token=SECRET-TOKEN-123");
  ASSERT_TRUE(r);
  std::string id = r->header("x-request-id");
  // The log is flushed at least every second.
  std::string log;
  for (int i = 0; i < 30 && log.find(id) == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    log = server_->stderr_text();
  }
  auto pos = log.find("\"request_id\":\"" + id + "\"");
  ASSERT_NE(pos, std::string::npos) << log.substr(0, 2000);
  std::string line = log.substr(log.rfind('\n', pos) + 1, log.find('\n', pos) - log.rfind('\n', pos) - 1);
  EXPECT_NE(line.find("\"event\":\"http_request\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"method\":\"GET\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"path\":\"/healthz\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"status\":200"), std::string::npos) << line;
  EXPECT_NE(line.find("\"bytes\":"), std::string::npos) << line;
  EXPECT_NE(line.find("\"duration_ms\":"), std::string::npos) << line;
  EXPECT_EQ(log.find("SECRET-TOKEN-123"), std::string::npos);
}

TEST_F(ServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  Conn c(port());
  ASSERT_TRUE(c.ok());
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto r = c.read_response();
    ASSERT_TRUE(r) << i;
    ASSERT_EQ(r->status, 200);
  }
}

}  // namespace
}  // namespace carnet::itest
