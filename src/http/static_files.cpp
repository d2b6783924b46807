#include "http/static_files.h"

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/encoding.h"
#include "core/log.h"

namespace carnet::http {
namespace fs = std::filesystem;
namespace {

constexpr uintmax_t kMaxStaticFile = 64ull << 20;

struct MimeEntry {
  const char* ext;
  const char* type;
};
constexpr MimeEntry kMime[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".webmanifest", "application/manifest+json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".jpeg", "image/jpeg"},
    {".gif", "image/gif"},
    {".webp", "image/webp"},
    {".avif", "image/avif"},
    {".ico", "image/x-icon"},
    {".woff", "font/woff"},
    {".woff2", "font/woff2"},
    {".ttf", "font/ttf"},
    {".otf", "font/otf"},
    {".txt", "text/plain; charset=utf-8"},
    {".xml", "application/xml"},
    {".pdf", "application/pdf"},
    {".wasm", "application/wasm"},
};

api::Response not_found(const api::Request& req) {
  return api::error_response(404, "not_found", "no such page or file", req.request_id);
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// True when the If-None-Match header lists `etag` (or is "*").
bool etag_matches(std::string_view header, std::string_view etag) {
  if (header.empty()) return false;
  if (header == "*") return true;
  size_t pos = 0;
  while (pos < header.size()) {
    size_t comma = header.find(',', pos);
    std::string_view item = header.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.rfind("W/", 0) == 0) item.remove_prefix(2);  // weak comparison, RFC 9110 13.1.2
    if (item == etag) return true;
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return false;
}

}  // namespace

StaticFiles::StaticFiles(std::string root, std::vector<std::string> reserved_prefixes)
    : reserved_(std::move(reserved_prefixes)) {
  std::error_code ec;
  fs::path canonical = fs::canonical(root, ec);
  if (ec || !fs::is_directory(canonical)) {
    log::warn("web_root_missing", {{"path", root}, {"hint", "build the front end: make web"}});
  } else {
    root_ = canonical.string();
  }
}

std::string_view StaticFiles::mime_type(std::string_view filename) {
  for (const auto& m : kMime) {
    if (ends_with(filename, m.ext)) return m.type;
  }
  return "application/octet-stream";
}

bool StaticFiles::is_reserved(std::string_view path) const {
  for (const auto& p : reserved_) {
    if (path.rfind(p, 0) == 0) return true;
    // "/api/" also covers exactly "/api".
    if (!p.empty() && p.back() == '/' && path == std::string_view(p).substr(0, p.size() - 1)) return true;
  }
  return false;
}

api::Response StaticFiles::serve(const api::Request& req) const {
  if (is_reserved(req.path)) return not_found(req);
  if (root_.empty()) return not_found(req);

  // Decode each segment separately: an encoded '/' or '\' must not create new segments, and
  // '..' / '.' in any spelling are refused outright rather than resolved.
  std::string relative;
  std::string_view rest = std::string_view(req.path).substr(1);
  std::string last_segment;
  while (true) {
    size_t slash = rest.find('/');
    std::string_view raw = rest.substr(0, slash);
    auto seg = percent_decode(raw);
    if (!seg || *seg == ".." || *seg == "." || seg->find_first_of(std::string_view("/\\\0", 3)) != std::string::npos) {
      return api::error_response(400, "invalid", "invalid path", req.request_id);
    }
    if (!seg->empty()) {
      if (!relative.empty()) relative += '/';
      relative += *seg;
    }
    last_segment = *seg;
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }

  if (relative.empty()) relative = "index.html";
  std::error_code ec;
  fs::path candidate = fs::path(root_) / relative;
  fs::path canonical = fs::canonical(candidate, ec);
  if (!ec) {
    std::string c = canonical.string();
    // Symlinks may point anywhere: only what resolves inside the root is served.
    if (c.rfind(root_ + "/", 0) != 0) return not_found(req);
    if (fs::is_directory(canonical, ec)) {
      canonical /= "index.html";
      c = canonical.string();
    }
    if (fs::is_regular_file(canonical, ec)) return serve_file(c, req, false);
  }
  // Single-page app: a page path (no extension in the last segment) gets index.html;
  // a missing asset stays a 404 so broken links are visible.
  if (last_segment.find('.') == std::string::npos) {
    fs::path index = fs::canonical(fs::path(root_) / "index.html", ec);
    if (!ec && index.string().rfind(root_ + "/", 0) == 0) return serve_file(index.string(), req, true);
  }
  return not_found(req);
}

api::Response StaticFiles::serve_file(const std::string& path, const api::Request& req, bool fallback) const {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0 || uintmax_t(st.st_size) > kMaxStaticFile) return not_found(req);
  char etag[64];
  std::snprintf(etag, sizeof etag, "\"%llx-%llx\"", (unsigned long long)st.st_size,
                (unsigned long long)st.st_mtim.tv_sec * 1000000000ull + (unsigned long long)st.st_mtim.tv_nsec);
  api::Response res;
  res.set_header("ETag", etag);
  // Vite puts content-hashed names under /assets/: cache them for good. Everything else
  // (index.html above all) is revalidated on each use.
  bool immutable = !fallback && req.path.rfind("/assets/", 0) == 0;
  res.set_header("Cache-Control", immutable ? "public, max-age=31536000, immutable" : "no-cache");
  if (etag_matches(req.header("if-none-match"), etag)) {
    res.status = 304;
    return res;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found(req);
  res.body.resize(size_t(st.st_size));
  in.read(res.body.data(), st.st_size);
  if (in.gcount() != st.st_size) return api::error_response(500, "internal", "file changed while read", req.request_id);
  res.status = 200;
  res.set_header("Content-Type", std::string(mime_type(path)));
  return res;
}

}  // namespace carnet::http
