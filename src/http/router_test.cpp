#include "http/router.h"

#include <gtest/gtest.h>

namespace carnet::http {
namespace {

api::Route route(std::string method, std::string pattern) {
  return {method, pattern, "", [](const api::Request&) { return api::Response::empty(200); }};
}

Router make() {
  return Router({route("GET", "/fhir/r4/{type}/{id}"), route("PUT", "/fhir/r4/{type}/{id}"),
                 route("GET", "/fhir/r4/metadata"), route("GET", "/fhir/r4/{type}"),
                 route("POST", "/fhir/r4/{type}"), route("GET", "/healthz")});
}

TEST(Router, LiteralBeatsParameter) {
  Router r = make();
  auto m = r.match("GET", "/fhir/r4/metadata");
  ASSERT_EQ(m.outcome, Router::Outcome::kFound);
  EXPECT_EQ(m.route->pattern, "/fhir/r4/metadata");
  EXPECT_TRUE(m.params.empty());
  auto p = r.match("POST", "/fhir/r4/metadata");
  ASSERT_EQ(p.outcome, Router::Outcome::kFound);
  EXPECT_EQ(p.route->pattern, "/fhir/r4/{type}");
}

TEST(Router, ParametersAreDecoded) {
  auto m = make().match("GET", "/fhir/r4/Patient/a%2Db");
  ASSERT_EQ(m.outcome, Router::Outcome::kFound);
  EXPECT_EQ(m.params.size(), 2u);
  EXPECT_EQ(m.params[0].second, "Patient");
  EXPECT_EQ(m.params[1].second, "a-b");
  // An encoded slash can not smuggle a segment; empty and malformed segments do not match.
  EXPECT_EQ(make().match("GET", "/fhir/r4/Patient/a%2Fb").outcome, Router::Outcome::kNotFound);
  EXPECT_EQ(make().match("GET", "/fhir/r4/Patient/").outcome, Router::Outcome::kNotFound);
  EXPECT_EQ(make().match("GET", "/fhir/r4/Patient/%zz").outcome, Router::Outcome::kNotFound);
}

TEST(Router, MethodNotAllowedListsAllow) {
  auto m = make().match("DELETE", "/fhir/r4/Patient/1");
  ASSERT_EQ(m.outcome, Router::Outcome::kMethodNotAllowed);
  EXPECT_EQ(m.allow, "GET, HEAD, PUT");
  EXPECT_EQ(make().match("HEAD", "/healthz").outcome, Router::Outcome::kFound);
  EXPECT_EQ(make().match("POST", "/healthz").allow, "GET, HEAD");
}

TEST(Router, NotFoundAndBadPaths) {
  EXPECT_EQ(make().match("GET", "/nope").outcome, Router::Outcome::kNotFound);
  EXPECT_EQ(make().match("GET", "/healthz/").outcome, Router::Outcome::kNotFound);
  EXPECT_EQ(make().match("GET", "healthz").outcome, Router::Outcome::kBadPath);
  EXPECT_EQ(make().match("GET", "").outcome, Router::Outcome::kBadPath);
  EXPECT_EQ(make().match("GET", "http://evil/healthz").outcome, Router::Outcome::kBadPath);
}

}  // namespace
}  // namespace carnet::http
