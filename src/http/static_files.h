// Serves the built front end: correct MIME types, ETag / If-None-Match (304), cache
// headers, no way out of the root (.., encoded dots, absolute paths, symlinks pointing
// outside), and the single-page-app fallback to index.html for unknown page paths.
// Pure file-system code (no Beast): runs on the worker pool.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "api/http_types.h"

namespace carnet::http {

class StaticFiles {
 public:
  // `root` may not exist yet (front end not built): every request then gets 404.
  // `reserved_prefixes` (e.g. "/api/", "/fhir/") never fall back to index.html.
  StaticFiles(std::string root, std::vector<std::string> reserved_prefixes);

  // GET/HEAD of `req.path` (percent-encoded). Never throws.
  api::Response serve(const api::Request& req) const;

  // Content type for a file name, by extension; application/octet-stream when unknown.
  static std::string_view mime_type(std::string_view filename);

  bool is_reserved(std::string_view path) const;

 private:
  api::Response serve_file(const std::string& canonical, const api::Request& req, bool fallback) const;
  std::string root_;  // canonical, empty when missing
  std::vector<std::string> reserved_;
};

}  // namespace carnet::http
