// Every route of carnetd, in one table (routes.cpp): method, pattern, metrics name, handler,
// body limit, where it runs and how its body is received.
#pragma once

#include <vector>

#include "api/http_types.h"
#include "api/services.h"

namespace carnet::api {

std::vector<Route> routes(const Services& services);

}  // namespace carnet::api
