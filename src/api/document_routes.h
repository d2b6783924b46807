// /api/v1/documents: what the portal needs to offer documents (not health data): the
// classes and types of documents with their French labels, the accepted formats and the
// size limit.
#pragma once

#include <cstdint>
#include <vector>

#include "api/http_types.h"

namespace carnet::api {

std::vector<Route> document_routes(uint64_t max_document_bytes);

}  // namespace carnet::api
