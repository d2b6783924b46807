#include "api/identity_routes.h"

#include "api/json_body.h"
#include "identity/spaces.h"

namespace carnet::api {
namespace {

constexpr uint64_t kSmallJson = 4 * 1024;

}  // namespace

std::vector<Route> identity_routes(identity::Spaces& spaces) {
  std::vector<Route> routes;
  routes.push_back({"POST", "/api/v1/opposition", "", [&spaces](const Request& req) {
                      auto f = read_string_fields(req, {"nir", "birth_date", "code"});
                      if (!f.is_ok()) return error_response(f.status(), req.request_id);
                      auto r = spaces.oppose({(*f)["nir"], (*f)["birth_date"], (*f)["code"]});
                      if (!r.is_ok()) return error_response(r.status(), req.request_id);
                      return Response::json(200, "{\"status\":\"opposed\"}");
                    }, kSmallJson});
  return routes;
}

}  // namespace carnet::api
