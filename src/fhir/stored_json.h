// JSON that Carnet stored itself (resources, sealed identities, pending second factors), read
// back: an error value (kCorrupt), never an exception, when it is not a JSON object; and the
// string fields of any JSON (stored or received) read without nlohmann's type_error.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace carnet::fhir {

inline Result<nlohmann::json> parse_stored(std::string_view text, std::string_view what) {
  auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return Status::corrupt(std::string(what) + ": stored data is not a JSON object");
  return doc;
}

// The string at `key`, or "" when `object` is no object or the field is absent or not a string
// (where nlohmann's value(key, "") throws on a field of another type).
inline std::string text_of(const nlohmann::json& object, std::string_view key) {
  if (!object.is_object()) return {};
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The strings of the array at `key` (items of other types skipped); empty when there is none.
inline std::vector<std::string> texts_of(const nlohmann::json& object, std::string_view key) {
  std::vector<std::string> out;
  if (!object.is_object()) return out;
  auto it = object.find(key);
  if (it == object.end() || !it->is_array()) return out;
  for (const auto& v : *it) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

}  // namespace carnet::fhir
