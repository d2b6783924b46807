// Process metrics, rendered in the Prometheus text exposition format (version 0.0.4).
// Thread-safe; recording a request costs one short critical section.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace carnet {

class Metrics {
 public:
  // Upper bounds of the latency histogram buckets, in seconds.
  static constexpr std::array<double, 14> kLatencyBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

  // `route` is the route pattern ("/fhir/r4/{type}/{id}"), never the raw path: label
  // cardinality stays bounded whatever clients send.
  void observe_request(std::string_view route, std::string_view method, int status,
                       double seconds);

  void connection_opened() { open_connections_.fetch_add(1, std::memory_order_relaxed); }
  void connection_closed() { open_connections_.fetch_sub(1, std::memory_order_relaxed); }
  int64_t open_connections() const { return open_connections_.load(std::memory_order_relaxed); }
  void connection_rejected() { rejected_connections_.fetch_add(1, std::memory_order_relaxed); }

  // A gauge read at render time (worker queue depth, pool sizes...).
  void add_gauge(std::string name, std::string help, std::function<double()> read);

  std::string render_prometheus() const;

 private:
  struct RouteSeries {
    std::map<int, uint64_t> by_status;
    std::array<uint64_t, kLatencyBuckets.size()> buckets{};
    uint64_t count = 0;
    double sum = 0;
  };
  struct Gauge {
    std::string name, help;
    std::function<double()> read;
  };

  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, RouteSeries> routes_;  // (route, method)
  std::vector<Gauge> gauges_;
  std::atomic<int64_t> open_connections_{0};
  std::atomic<uint64_t> rejected_connections_{0};
};

}  // namespace carnet
