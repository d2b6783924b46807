#include "api/system_handlers.h"

#include <gtest/gtest.h>

#include "core/metrics.h"
#include "core/temp_dir_for_testing.h"
#include "store/store.h"

namespace carnet::api {
namespace {

class SystemRoutes : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::open_sqlite({dir_.file("carnet.db")});
    ASSERT_TRUE(s.is_ok());
    store_ = std::move(s.value());
  }
  // The system handlers as the route table binds them (api/routes.cpp).
  Response call(const std::string& method, const std::string& pattern, std::string body = "") {
    Request req;
    req.method = method;
    req.path = pattern;
    req.body = std::move(body);
    req.request_id = "rid-1";
    if (method == "GET" && pattern == "/healthz") return system::healthz(req);
    if (method == "GET" && pattern == "/readyz") return system::readyz(*store_, req);
    if (method == "GET" && pattern == "/metrics") return system::metrics(metrics_, req);
    if (method == "POST" && pattern == "/api/v1/csp-report") return system::csp_report(req);
    ADD_FAILURE() << "no route " << method << " " << pattern;
    return {};
  }
  testing::TempDir dir_;
  Metrics metrics_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(SystemRoutes, HealthReadyMetrics) {
  EXPECT_EQ(call("GET", "/healthz").status, 200);
  EXPECT_EQ(call("GET", "/readyz").status, 200);
  Response m = call("GET", "/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("carnet_http_open_connections"), std::string::npos);
  EXPECT_EQ(m.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
}

TEST_F(SystemRoutes, CspReportValidatesInput) {
  EXPECT_EQ(call("POST", "/api/v1/csp-report",
                 R"({"csp-report":{"document-uri":"https://x/p?token=secret","blocked-uri":"inline","violated-directive":"script-src"}})")
                .status,
            204);
  EXPECT_EQ(call("POST", "/api/v1/csp-report", R"([{"type":"csp-violation","body":{"blockedURL":"inline"}}])").status, 204);
  Response bad = call("POST", "/api/v1/csp-report", "{not json");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("not valid JSON"), std::string::npos);
  EXPECT_NE(bad.body.find("rid-1"), std::string::npos);
  EXPECT_EQ(call("POST", "/api/v1/csp-report", R"({"other":1})").status, 400);
  EXPECT_EQ(call("POST", "/api/v1/csp-report", "[1,2]").status, 400);
}

TEST(ErrorMapping, StatusesAndHiddenInternals) {
  EXPECT_EQ(http_status_for(ErrorCode::kNotFound), 404);
  EXPECT_EQ(http_status_for(ErrorCode::kBusy), 503);
  Response r = error_response(Status::internal("sqlite said: secret table xyz"), "rid");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body.find("xyz"), std::string::npos);
  Response inv = error_response(Status::invalid("bad \"date\""), "rid");
  EXPECT_EQ(inv.status, 400);
  EXPECT_NE(inv.body.find("bad \\\"date\\\""), std::string::npos);
}

}  // namespace
}  // namespace carnet::api
