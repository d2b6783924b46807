// JSON that Carnet stored itself (resources, sealed identities, pending second factors), read
// back: an error value (kCorrupt), never an exception, when it is not a JSON object.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace carnet::fhir {

inline Result<nlohmann::json> parse_stored(std::string_view text, std::string_view what) {
  auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return Status::corrupt(std::string(what) + ": stored data is not a JSON object");
  return doc;
}

}  // namespace carnet::fhir
