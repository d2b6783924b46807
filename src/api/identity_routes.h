// Public identity endpoints (no sign-in needed: the proof is NIR + birth date + code).
#pragma once

#include <vector>

#include "api/http_types.h"

namespace carnet::identity {
class Spaces;
}

namespace carnet::api {

// POST /api/v1/opposition  {"nir", "birth_date", "code"} -> 200 {"status": "opposed"}
std::vector<Route> identity_routes(identity::Spaces& spaces);

}  // namespace carnet::api
