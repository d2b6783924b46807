#include "http/dispatcher.h"

#include <gtest/gtest.h>

namespace carnet::http {
namespace {

class DispatcherTest : public ::testing::Test {
 protected:
  Router router_{{{"GET", "/healthz", "", [](const api::Request&) { return api::Response::json(200, "{}"); }, 0,
                   api::Execution::kInline},
                  {"POST", "/api/v1/things", "", [](const api::Request&) -> api::Response {
                     throw std::runtime_error("handler bug");
                   }, 100}}};
  StaticFiles static_files_{"/nonexistent", {"/api/"}};
  Dispatcher d_{router_, static_files_, 1000};
};

TEST_F(DispatcherTest, PlansLimitsAndPlacement) {
  auto h = d_.plan("GET", "/healthz?x=1");
  EXPECT_EQ(h.path, "/healthz");
  EXPECT_EQ(h.query, "x=1");
  EXPECT_FALSE(h.on_worker);
  EXPECT_EQ(h.body_limit, 1000u);
  auto t = d_.plan("POST", "/api/v1/things");
  EXPECT_TRUE(t.on_worker);
  EXPECT_EQ(t.body_limit, 100u);
  EXPECT_EQ(d_.plan("GET", "/page").route_label, "static");
  EXPECT_EQ(d_.plan("GET", "/api/v1/x").route_label, "unmatched");
}

TEST_F(DispatcherTest, ExceptionsBecome500WithoutDetails) {
  api::Request req;
  req.method = "POST";
  req.request_id = "r1";
  auto r = d_.execute(d_.plan("POST", "/api/v1/things"), req);
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body.find("handler bug"), std::string::npos);
}

TEST_F(DispatcherTest, MethodNotAllowedAndNotFound) {
  api::Request req;
  req.method = "DELETE";
  auto r = d_.execute(d_.plan("DELETE", "/healthz"), req);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("Allow"), "GET, HEAD");
  req.method = "POST";
  EXPECT_EQ(d_.execute(d_.plan("POST", "/nope"), req).status, 404);
  EXPECT_EQ(d_.execute(d_.plan("GET", "*"), req).status, 400);
}

TEST(Decorate, SecurityHeaders) {
  api::Response r = api::Response::empty(200);
  Dispatcher::decorate(r, "rid", false);
  EXPECT_EQ(r.header("X-Request-Id"), "rid");
  EXPECT_NE(r.header("Content-Security-Policy").find("default-src 'self'"), std::string::npos);
  EXPECT_NE(r.header("Content-Security-Policy").find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(r.header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(r.header("Referrer-Policy"), "no-referrer");
  EXPECT_TRUE(r.header("Strict-Transport-Security").empty());
  Dispatcher::decorate(r, "rid", true);
  EXPECT_FALSE(r.header("Strict-Transport-Security").empty());
}

}  // namespace
}  // namespace carnet::http
