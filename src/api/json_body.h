// Strict JSON request bodies for /api/v1: an object whose fields are all known, of the
// expected types. Anything else is a 400 with a message naming the problem.
#pragma once

#include <initializer_list>
#include <map>
#include <string>
#include <string_view>

#include "api/http_types.h"
#include "core/status.h"

namespace carnet::api {

// Reads an object of string fields. `required` must all be present and non-empty;
// `optional` may be absent. Unknown fields, non-string values, a wrong Content-Type or
// malformed JSON give kInvalid.
Result<std::map<std::string, std::string>> read_string_fields(const Request& req,
                                                              std::initializer_list<std::string_view> required,
                                                              std::initializer_list<std::string_view> optional = {});

}  // namespace carnet::api
