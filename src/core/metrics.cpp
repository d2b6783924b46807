#include "core/metrics.h"

#include <cstdio>

namespace carnet {
namespace {

// Label values come from our own route table, but escape anyway as the format requires.
void append_label_value(std::string& out, std::string_view v) {
  out += '"';
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  out += '"';
}

std::string format_double(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

}  // namespace

void Metrics::observe_request(std::string_view route, std::string_view method, int status,
                              double seconds) {
  std::lock_guard lock(mu_);
  auto key = std::make_pair(std::string(route), std::string(method));
  auto it = routes_.find(key);
  if (it == routes_.end()) it = routes_.emplace(std::move(key), RouteSeries{}).first;
  RouteSeries& s = it->second;
  s.by_status[status]++;
  s.count++;
  s.sum += seconds;
  for (size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    if (seconds <= kLatencyBuckets[i]) {
      s.buckets[i]++;
      break;
    }
  }
}

void Metrics::add_gauge(std::string name, std::string help, std::function<double()> read) {
  std::lock_guard lock(mu_);
  gauges_.push_back({std::move(name), std::move(help), std::move(read)});
}

std::string Metrics::render_prometheus() const {
  std::string out;
  std::lock_guard lock(mu_);
  out += "# HELP carnet_http_requests_total HTTP requests handled, by route, method and status.\n";
  out += "# TYPE carnet_http_requests_total counter\n";
  for (const auto& [key, s] : routes_) {
    for (const auto& [status, n] : s.by_status) {
      out += "carnet_http_requests_total{route=";
      append_label_value(out, key.first);
      out += ",method=";
      append_label_value(out, key.second);
      out += ",status=\"" + std::to_string(status) + "\"} " + std::to_string(n) + "\n";
    }
  }
  out += "# HELP carnet_http_request_duration_seconds Time from request header read to response written.\n";
  out += "# TYPE carnet_http_request_duration_seconds histogram\n";
  for (const auto& [key, s] : routes_) {
    std::string labels = "route=";
    append_label_value(labels, key.first);
    labels += ",method=";
    append_label_value(labels, key.second);
    uint64_t cumulative = 0;
    for (size_t i = 0; i < kLatencyBuckets.size(); ++i) {
      cumulative += s.buckets[i];
      out += "carnet_http_request_duration_seconds_bucket{" + labels + ",le=\"" +
             format_double(kLatencyBuckets[i]) + "\"} " + std::to_string(cumulative) + "\n";
    }
    out += "carnet_http_request_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} " +
           std::to_string(s.count) + "\n";
    out += "carnet_http_request_duration_seconds_sum{" + labels + "} " + format_double(s.sum) + "\n";
    out += "carnet_http_request_duration_seconds_count{" + labels + "} " + std::to_string(s.count) + "\n";
  }
  out += "# HELP carnet_http_open_connections Client connections currently open.\n";
  out += "# TYPE carnet_http_open_connections gauge\n";
  out += "carnet_http_open_connections " + std::to_string(open_connections()) + "\n";
  out += "# HELP carnet_http_rejected_connections_total Connections refused at the connection limit.\n";
  out += "# TYPE carnet_http_rejected_connections_total counter\n";
  out += "carnet_http_rejected_connections_total " +
         std::to_string(rejected_connections_.load(std::memory_order_relaxed)) + "\n";
  for (const Gauge& g : gauges_) {
    out += "# HELP " + g.name + " " + g.help + "\n";
    out += "# TYPE " + g.name + " gauge\n";
    out += g.name + " " + format_double(g.read()) + "\n";
  }
  return out;
}

}  // namespace carnet
