#include "core/metrics.h"

#include <gtest/gtest.h>

namespace carnet {
namespace {

TEST(Metrics, RendersPrometheusText) {
  Metrics m;
  m.observe_request("/healthz", "GET", 200, 0.0004);
  m.observe_request("/healthz", "GET", 200, 0.003);
  m.observe_request("/fhir/r4/{type}", "POST", 400, 0.02);
  m.connection_opened();
  m.add_gauge("carnet_worker_queue_depth", "Jobs waiting.", [] { return 7.0; });
  std::string text = m.render_prometheus();
  EXPECT_NE(text.find("carnet_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 2"),
            std::string::npos) << text;
  EXPECT_NE(text.find("carnet_http_request_duration_seconds_bucket{route=\"/healthz\",method=\"GET\",le=\"0.0005\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("carnet_http_request_duration_seconds_bucket{route=\"/healthz\",method=\"GET\",le=\"+Inf\"} 2"),
            std::string::npos);
  EXPECT_NE(text.find("carnet_http_open_connections 1"), std::string::npos);
  EXPECT_NE(text.find("carnet_worker_queue_depth 7"), std::string::npos);
}

}  // namespace
}  // namespace carnet
