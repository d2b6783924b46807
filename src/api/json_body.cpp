#include "api/json_body.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace carnet::api {

Result<std::map<std::string, std::string>> read_string_fields(const Request& req,
                                                              std::initializer_list<std::string_view> required,
                                                              std::initializer_list<std::string_view> optional) {
  std::string_view type = req.header("content-type");
  if (type.substr(0, type.find(';')) != "application/json") {
    return Status::invalid("expected Content-Type: application/json");
  }
  auto doc = nlohmann::json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Status::invalid("body is not valid JSON");
  if (!doc.is_object()) return Status::invalid("body must be a JSON object");
  std::map<std::string, std::string> out;
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    const std::string& key = it.key();
    bool known = std::find(required.begin(), required.end(), key) != required.end() ||
                 std::find(optional.begin(), optional.end(), key) != optional.end();
    if (!known) return Status::invalid("unknown field '" + key.substr(0, 40) + "'");
    if (!it->is_string()) return Status::invalid("field '" + key + "' must be a string");
    out[key] = it->get<std::string>();
  }
  for (auto name : required) {
    auto it = out.find(std::string(name));
    if (it == out.end() || it->second.empty()) return Status::invalid("missing field '" + std::string(name) + "'");
  }
  return out;
}

}  // namespace carnet::api
