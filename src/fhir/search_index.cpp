#include "fhir/search_index.h"

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "core/encoding.h"
#include "fhir/datetime.h"
#include "fhir/resource_types.h"
#include "fhir/search_params.h"
#include "store/insert_rows.h"

namespace carnet::fhir {
namespace {

using json = nlohmann::json;

// Calls `each` for every value a dotted path reaches, flattening arrays; a step ending in
// "[x]" visits every key that starts with its stem followed by a type name.
void walk(const json& node, std::string_view path, const std::function<void(const json&)>& each) {
  if (node.is_array()) {
    for (const auto& item : node) walk(item, path, each);
    return;
  }
  if (path.empty()) {
    each(node);
    return;
  }
  if (!node.is_object()) return;
  size_t dot = path.find('.');
  std::string_view step = path.substr(0, dot);
  std::string_view rest = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
  if (step.size() > 3 && step.substr(step.size() - 3) == "[x]") {
    std::string_view stem = step.substr(0, step.size() - 3);
    for (const auto& [key, value] : node.items()) {
      if (key.size() > stem.size() && key.compare(0, stem.size(), stem) == 0 && std::isupper(static_cast<unsigned char>(key[stem.size()]))) {
        walk(value, rest, each);
      }
    }
    return;
  }
  auto it = node.find(std::string(step));
  if (it != node.end()) walk(*it, rest, each);
}

void for_each_path(const json& resource, std::string_view paths, const std::function<void(const json&)>& each) {
  size_t pos = 0;
  while (pos <= paths.size()) {
    size_t bar = paths.find('|', pos);
    walk(resource, paths.substr(pos, bar == std::string_view::npos ? std::string_view::npos : bar - pos), each);
    if (bar == std::string_view::npos) break;
    pos = bar + 1;
  }
}

std::string string_field(const json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

constexpr size_t kMaxCodeSize = 256;  // longer strings are not codes; never index them

}  // namespace

std::string normalize_reference(std::string_view ref) {
  if (ref.empty() || ref.front() == '#' || ref.substr(0, 4) == "urn:") return {};
  size_t hist = ref.find("/_history/");
  if (hist != std::string_view::npos) ref = ref.substr(0, hist);
  size_t slash = ref.rfind('/');
  if (slash == std::string_view::npos || slash == 0) return {};
  std::string_view id = ref.substr(slash + 1);
  std::string_view before = ref.substr(0, slash);
  std::string_view type = before.substr(before.rfind('/') == std::string_view::npos ? 0 : before.rfind('/') + 1);
  if (id.empty() || id.size() > 64 || type.empty() || !std::isupper(static_cast<unsigned char>(type.front()))) return {};
  return std::string(type) + "/" + std::string(id);
}

std::vector<std::string> attachment_binaries(const json& document_reference) {
  std::vector<std::string> out;
  auto content = document_reference.find("content");
  if (content == document_reference.end() || !content->is_array()) return out;
  for (const auto& c : *content) {
    if (!c.is_object() || !c.contains("attachment") || !c["attachment"].is_object()) continue;
    const json& url = c["attachment"].value("url", json());
    if (!url.is_string()) continue;
    std::string ref = normalize_reference(url.get<std::string>());
    if (ref.rfind("Binary/", 0) == 0) out.push_back(ref.substr(7));
  }
  return out;
}

std::string SearchIndex::hash_identifier(std::string_view value) const {
  // Hex: token codes are text on every backend (PostgreSQL text must be valid UTF-8).
  return hex_encode(ring_.lookup_hash("fhir.identifier", value));
}

IndexEntries SearchIndex::extract(std::string_view type, const json& resource) const {
  IndexEntries out;
  for (const auto& p : search_params(type)) {
    std::string param(p.name);
    switch (p.kind) {
      case ParamKind::kId:
      case ParamKind::kLastUpdated:
        break;  // columns of the resources table
      case ParamKind::kToken:
        for_each_path(resource, p.paths, [&](const json& v) {
          auto add = [&](std::string system, std::string code) {
            if (code.empty() || code.size() > kMaxCodeSize || system.size() > kMaxCodeSize) return;
            out.tokens.push_back({param, std::move(system), p.hashed ? hash_identifier(code) : std::move(code)});
          };
          if (v.is_string() && p.words) {
            for (auto& w : index_words(v.get<std::string>())) add("", std::move(w));
          } else if (v.is_string()) {
            add("", v.get<std::string>());
          } else if (v.is_boolean()) {
            add("", v.get<bool>() ? "true" : "false");
          } else if (v.is_object()) {
            if (auto c = v.find("coding"); c != v.end() && c->is_array()) {  // CodeableConcept
              for (const auto& coding : *c) {
                if (coding.is_object()) add(string_field(coding, "system"), string_field(coding, "code"));
              }
            } else if (v.contains("code")) {  // Coding
              add(string_field(v, "system"), string_field(v, "code"));
            } else if (v.contains("value")) {  // Identifier
              add(string_field(v, "system"), string_field(v, "value"));
            }
          }
        });
        break;
      case ParamKind::kDate:
        for_each_path(resource, p.paths, [&](const json& v) {
          if (v.is_string()) {
            if (auto r = time_range(v.get<std::string>())) out.dates.push_back({param, r->low, r->high});
          } else if (v.is_object() && (v.contains("start") || v.contains("end"))) {  // Period
            auto start = time_range(string_field(v, "start"));
            auto end = time_range(string_field(v, "end"));
            out.dates.push_back({param, start ? start->low : kMinTime, end ? end->high : kMaxTime});
          }
        });
        break;
      case ParamKind::kReference:
        if (&indexed_as(p) != &p) break;  // its rows are another parameter's
        for_each_path(resource, p.paths, [&](const json& v) {
          if (!v.is_object()) return;
          std::string target = normalize_reference(string_field(v, "reference"));
          if (target.empty()) return;
          if (!p.target.empty() && target.compare(0, p.target.size() + 1, std::string(p.target) + "/") != 0) return;
          out.references.push_back({param, std::move(target)});
        });
        break;
    }
  }
  auto dedupe = [](auto& v, auto key) {
    std::sort(v.begin(), v.end(), [&](const auto& a, const auto& b) { return key(a) < key(b); });
    v.erase(std::unique(v.begin(), v.end(), [&](const auto& a, const auto& b) { return key(a) == key(b); }), v.end());
  };
  dedupe(out.tokens, [](const IndexEntries::Token& t) { return std::tie(t.param, t.system, t.code); });
  dedupe(out.dates, [](const IndexEntries::Date& d) { return std::tie(d.param, d.low, d.high); });
  dedupe(out.references, [](const IndexEntries::Reference& r) { return std::tie(r.param, r.target); });
  if (const SearchParam* primary = primary_date_param(type)) {
    for (const auto& d : out.dates) {  // sorted: the first of the parameter is the earliest
      if (d.param == primary->name) {
        out.at = std::max(d.low, kNoTime);
        break;
      }
    }
  }
  return out;
}

std::string SearchIndex::keys(const IndexEntries& e) {
  json t = json::array(), r = json::array();
  for (const auto& x : e.tokens) t.push_back({x.param, x.code, x.system});
  for (const auto& x : e.references) r.push_back({x.param, x.target});
  return json{{"t", std::move(t)}, {"r", std::move(r)}}.dump();
}

Status SearchIndex::clear(store::Transaction& tx, std::string_view compartment, std::string_view type,
                          std::string_view id, const Previous& previous) const {
  std::string c(compartment), t(type), i(id);
  // Deleted by resource: dates (which keep their index by resource: a sort on a date other
  // than the primary one reads it), the keys, and, for a resource written before its keys
  // were kept (none since migration 28), its token and reference rows, by a scan of its
  // type's rows in the space.
  std::vector<const char*> by_resource = {"search_dates", "index_keys"};
  if (!previous.keys) by_resource.insert(by_resource.end(), {"search_tokens", "search_references"});
  for (const char* table : by_resource) {
    CARNET_RETURN_IF_ERROR(tx.exec_deferred(
        std::string("DELETE FROM ") + table + " WHERE compartment = ? AND resource_type = ? AND resource_id = ?",
        {c, t, i}));
  }
  if (!previous.keys) return Status::ok();
  json k = json::parse(*previous.keys, nullptr, false);
  if (!k.is_object() || !k.value("t", json()).is_array() || !k.value("r", json()).is_array()) {
    return Status::corrupt("the index keys of " + t + "/" + i + " are not readable");
  }
  try {
    for (const auto& x : k["t"]) {
      CARNET_RETURN_IF_ERROR(tx.exec_deferred(
          "DELETE FROM search_tokens WHERE compartment = ? AND resource_type = ? AND param = ? AND code = ? "
          "AND at = ? AND resource_id = ? AND system = ?",
          {c, t, x.at(0).get<std::string>(), x.at(1).get<std::string>(), previous.at, i, x.at(2).get<std::string>()}));
    }
    for (const auto& x : k["r"]) {
      CARNET_RETURN_IF_ERROR(tx.exec_deferred(
          "DELETE FROM search_references WHERE compartment = ? AND resource_type = ? AND param = ? AND target = ? "
          "AND at = ? AND resource_id = ?",
          {c, t, x.at(0).get<std::string>(), x.at(1).get<std::string>(), previous.at, i}));
    }
  } catch (const json::exception&) {
    return Status::corrupt("the index keys of " + t + "/" + i + " are not readable");
  }
  return Status::ok();
}

Status SearchIndex::write(store::Transaction& tx, std::string_view compartment, std::string_view type,
                          std::string_view id, const IndexEntries& e, const Previous* previous) const {
  if (previous) CARNET_RETURN_IF_ERROR(clear(tx, compartment, type, id, *previous));
  std::string c(compartment), t(type), i(id);
  // Sent without waiting, one statement per table, maybe with other resources' rows: the
  // rows of a new version cannot conflict (its resource's rows were replaced, or it is new).
  std::vector<std::vector<store::Value>> rows;
  for (const auto& x : e.tokens) rows.push_back({c, t, x.param, x.code, x.system, e.at, i});
  CARNET_RETURN_IF_ERROR(tx.insert_deferred("search_tokens",
                                                     "compartment, resource_type, param, code, system, at, resource_id",
                                                     std::move(rows)));
  rows.clear();
  for (const auto& x : e.dates) rows.push_back({c, t, x.param, x.low, x.high, i});
  CARNET_RETURN_IF_ERROR(tx.insert_deferred("search_dates",
                                                     "compartment, resource_type, param, low, high, resource_id",
                                                     std::move(rows)));
  rows.clear();
  for (const auto& x : e.references) rows.push_back({c, t, x.param, x.target, e.at, i});
  CARNET_RETURN_IF_ERROR(tx.insert_deferred(
      "search_references", "compartment, resource_type, param, target, at, resource_id", std::move(rows)));
  rows.clear();
  rows.push_back({c, t, i, keys(e)});
  return tx.insert_deferred("index_keys", "compartment, resource_type, resource_id, keys", std::move(rows));
}

}  // namespace carnet::fhir
