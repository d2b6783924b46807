#include "http/router.h"

#include <algorithm>

#include "core/encoding.h"

namespace carnet::http {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path[0] != '/') return out;
  size_t start = 1;
  for (;;) {
    size_t slash = path.find('/', start);
    out.push_back(path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

}  // namespace

Router::Router(std::vector<api::Route> routes) {
  for (auto& r : routes) {
    Compiled c;
    for (auto seg : split_path(r.pattern)) {
      bool param = seg.size() >= 2 && seg.front() == '{' && seg.back() == '}';
      c.segments.emplace_back(param ? seg.substr(1, seg.size() - 2) : seg);
      c.is_param.push_back(param);
    }
    if (r.name.empty()) r.name = r.pattern;
    c.route = std::move(r);
    routes_.push_back(std::move(c));
  }
  // Most specific first: compare segment kinds left to right, literal before parameter.
  std::stable_sort(routes_.begin(), routes_.end(), [](const Compiled& a, const Compiled& b) {
    return a.is_param < b.is_param;
  });
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
  Match m;
  if (path.empty() || path[0] != '/') {
    m.outcome = Outcome::kBadPath;
    return m;
  }
  auto segs = split_path(path);
  std::string_view effective = method == "HEAD" ? std::string_view("GET") : method;
  std::vector<std::string> allowed;
  for (const auto& c : routes_) {
    if (c.segments.size() != segs.size()) continue;
    std::vector<std::pair<std::string, std::string>> params;
    bool ok = true;
    for (size_t i = 0; i < segs.size() && ok; ++i) {
      if (c.is_param[i]) {
        auto decoded = percent_decode(segs[i]);
        if (!decoded || decoded->empty() || decoded->find('/') != std::string::npos) {
          ok = false;
        } else {
          params.emplace_back(c.segments[i], std::move(*decoded));
        }
      } else {
        ok = segs[i] == c.segments[i];
      }
    }
    if (!ok) continue;
    if (c.route.method == effective) {
      m.outcome = Outcome::kFound;
      m.route = &c.route;
      m.params = std::move(params);
      return m;
    }
    allowed.push_back(c.route.method);
    if (c.route.method == "GET") allowed.push_back("HEAD");
  }
  if (!allowed.empty()) {
    std::sort(allowed.begin(), allowed.end());
    allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
    m.outcome = Outcome::kMethodNotAllowed;
    for (const auto& a : allowed) {
      if (!m.allow.empty()) m.allow += ", ";
      m.allow += a;
    }
  }
  return m;
}

}  // namespace carnet::http
