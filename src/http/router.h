// Matches (method, path) against the route table. Pure and Beast-free.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/http_types.h"

namespace carnet::http {

class Router {
 public:
  // REQUIRES: patterns start with '/'. Literal segments win over {parameters}.
  explicit Router(std::vector<api::Route> routes);

  enum class Outcome { kFound, kNotFound, kMethodNotAllowed, kBadPath };
  struct Match {
    Outcome outcome = Outcome::kNotFound;
    const api::Route* route = nullptr;
    std::vector<std::pair<std::string, std::string>> params;  // decoded
    std::string allow;  // for kMethodNotAllowed: "GET, HEAD, POST"
  };

  // `path` is percent-encoded, without query string. HEAD matches GET routes.
  Match match(std::string_view method, std::string_view path) const;

 private:
  struct Compiled {
    api::Route route;
    std::vector<std::string> segments;  // literal text, or "{name}"
    std::vector<bool> is_param;
  };
  std::vector<Compiled> routes_;
};

}  // namespace carnet::http
