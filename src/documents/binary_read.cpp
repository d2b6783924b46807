#include "documents/binary_read.h"

#include <nlohmann/json.hpp>

#include "fhir/search_index.h"

namespace carnet::documents {

using json = nlohmann::json;

Result<BinaryDocument> read_binary(access::Repository& repo, const Vault& vault, std::string_view id,
                                   std::optional<int64_t> version) {
  auto v = version ? repo.vread("Binary", id, *version) : repo.read("Binary", id);
  if (!v.is_ok()) return v.status();
  if (v->deleted) return Status::gone("version " + std::to_string(v->version) + " is a deletion");
  BinaryDocument out;
  out.version = std::move(*v);
  auto c = vault.content(repo.tx(), out.version.compartment, id, out.version.version);
  if (!c.is_ok()) return c.status();
  out.content = std::move(*c);
  // The file name is the title its DocumentReference gives, when the caller may read it.
  json b = json::parse(out.version.json, nullptr, false);
  if (!b.is_object() || !b.contains("securityContext") || !b["securityContext"].is_object()) return out;
  const json& context = b["securityContext"];
  std::string doc_ref = fhir::normalize_reference(context.contains("reference") && context["reference"].is_string()
                                                      ? context["reference"].get<std::string>()
                                                      : std::string());
  if (doc_ref.rfind("DocumentReference/", 0) != 0) return out;
  auto d = repo.related(out.version.compartment, "DocumentReference", doc_ref.substr(18));
  if (!d.is_ok()) return out;
  json doc = json::parse(d->json, nullptr, false);
  if (!doc.is_object() || !doc.contains("content") || !doc["content"].is_array()) return out;
  for (const auto& c2 : doc["content"]) {
    if (!c2.is_object() || !c2.contains("attachment") || !c2["attachment"].is_object()) continue;
    const json& a = c2["attachment"];
    std::string url = a.contains("url") && a["url"].is_string() ? a["url"].get<std::string>() : std::string();
    if (fhir::normalize_reference(url) == "Binary/" + std::string(id) && a.contains("title") && a["title"].is_string()) {
      out.title = a["title"].get<std::string>();
    }
  }
  return out;
}

}  // namespace carnet::documents
