// FHIR batch and transaction Bundles (POST /fhir/r4): each entry is a read, search, create,
// update or delete, through the caller's repository like the same call on its own. A
// transaction runs in one database transaction (all or nothing; ids of new resources are
// assigned first so that urn:uuid: references between entries resolve); a batch runs each
// entry in its own.
#include <algorithm>
#include <map>
#include <utility>

#include <nlohmann/json.hpp>

#include "api/fhir_documents.h"
#include "api/fhir_handlers.h"
#include "crypto/random.h"
#include "documents/staging.h"
#include "fhir/compartment.h"
#include "fhir/search_index.h"
#include "fhir/stored_json.h"

namespace carnet::api::fhir_rest {
namespace {

using json = nlohmann::json;

constexpr size_t kMaxEntries = 1000;
constexpr uint64_t kBundleLimit = 32ull << 20;

struct Entry {
  size_t index = 0;
  std::string method;  // GET, POST, PUT, DELETE
  std::string type;
  std::string id;     // PUT, DELETE, GET read
  std::string query;  // GET search
  std::string full_url;
  std::string if_match, if_none_exist;
  json resource;
};

std::string entry_path(size_t i) { return "Bundle.entry[" + std::to_string(i) + "]"; }

// Reads the request part of each entry; a 400 Status naming the entry on error.
Result<std::vector<Entry>> read_entries(const json& bundle) {
  std::vector<Entry> out;
  auto it = bundle.find("entry");
  if (it == bundle.end()) return out;
  if (it->size() > kMaxEntries) return Status::too_large("at most 1000 entries in a Bundle");
  for (size_t i = 0; i < it->size(); ++i) {
    const json& e = (*it)[i];
    Entry x;
    x.index = i;
    std::string where = entry_path(i);
    auto req = e.find("request");
    if (req == e.end()) return Status::invalid(where + ".request is required in a batch or transaction");
    x.method = fhir::text_of(*req, "method");
    std::string url = fhir::text_of(*req, "url");
    x.if_match = fhir::text_of(*req, "ifMatch");
    x.if_none_exist = fhir::text_of(*req, "ifNoneExist");
    x.full_url = fhir::text_of(e, "fullUrl");
    if (e.contains("resource")) x.resource = e["resource"];
    if (x.method != "GET" && x.method != "POST" && x.method != "PUT" && x.method != "DELETE") {
      return Status::invalid(where + ".request.method " + x.method.substr(0, 10) + " is not supported (GET, POST, PUT, DELETE)");
    }
    if (url.rfind("/fhir/r4/", 0) == 0) url = url.substr(9);
    size_t q = url.find('?');
    std::string path = url.substr(0, q);
    if (q != std::string::npos) x.query = url.substr(q + 1);
    size_t slash = path.find('/');
    x.type = path.substr(0, slash);
    if (slash != std::string::npos) x.id = path.substr(slash + 1);
    if (x.type.empty() || x.id.find('/') != std::string::npos) {
      return Status::invalid(where + ".request.url must be Type, Type/id or Type?parameters");
    }
    bool needs_id = x.method == "PUT" || x.method == "DELETE";
    if ((needs_id && x.id.empty()) || (x.method == "POST" && !x.id.empty()) ||
        (x.method != "GET" && !x.query.empty()) || (x.method == "GET" && !x.id.empty() && !x.query.empty())) {
      return Status::invalid(where + ".request.url does not fit " + x.method + " (" + url.substr(0, 80) + ")");
    }
    bool needs_body = x.method == "POST" || x.method == "PUT";
    if (needs_body != x.resource.is_object()) {
      return Status::invalid(where + (needs_body ? " needs a resource" : " must not carry a resource"));
    }
    if (needs_body && fhir::text_of(x.resource, "resourceType") != x.type) {
      return Status::invalid(where + ".resource is not a " + x.type.substr(0, 40));
    }
    if (x.method == "PUT" && fhir::text_of(x.resource, "id") != x.id) {
      return Status::invalid(where + ".resource.id must match the request url");
    }
    out.push_back(std::move(x));
  }
  return out;
}

// Replaces every reference equal to a key of `ids` (urn:uuid:…) by its value (Type/id).
void resolve_references(json& node, const std::map<std::string, std::string>& ids) {
  if (node.is_object()) {
    for (auto& [key, value] : node.items()) {
      // References, and attachments' urls (a DocumentReference naming the Binary of the same Bundle).
      if ((key == "reference" || key == "url") && value.is_string()) {
        auto it = ids.find(value.get<std::string>());
        if (it != ids.end()) value = it->second;
      } else {
        resolve_references(value, ids);
      }
    }
  } else if (node.is_array()) {
    for (auto& item : node) resolve_references(item, ids);
  }
}

std::string status_line(int status) {
  switch (status) {
    case 200: return "200 OK";
    case 201: return "201 Created";
    case 204: return "204 No Content";
    default: return std::to_string(status);
  }
}

json response_entry(int status, const fhir::ResourceVersion* v, bool with_resource, const std::string& base) {
  json e = {{"response", {{"status", status_line(status)}}}};
  if (v) {
    e["response"]["etag"] = "W/\"" + std::to_string(v->version) + "\"";
    e["response"]["lastModified"] = v->last_updated;
    if (status == 201) e["response"]["location"] = v->type + "/" + v->id + "/_history/" + std::to_string(v->version);
    e["fullUrl"] = base + "/" + v->type + "/" + v->id;
    if (with_resource && !v->json.empty()) {
      json resource = json::parse(v->json, nullptr, false);
      if (resource.is_object()) e["resource"] = std::move(resource);
    }
  }
  return e;
}

// Runs the entries of one Bundle with the caller's repository.
class BundleRunner {
 public:
  BundleRunner(const Request& req, documents::DocumentStaging& docs, const std::map<std::string, size_t>& naming,
               const std::vector<Entry>& entries)
      : docs_(docs), naming_(naming), entries_(entries), base_(base_url(req)),
        with_resource_(req.header("prefer").find("return=minimal") == std::string_view::npos) {}

  // One entry; its response entry.
  Result<json> execute(access::Repository& repo, const Entry& e, const std::string& assigned_id) {
    if (e.method == "GET") return e.id.empty() ? search(repo, e) : read(repo, e);
    if (e.method == "DELETE") {
      auto v = repo.remove(e.type, e.id);
      if (!v.is_ok()) return v.status();
      return response_entry(204, nullptr, false, base_);
    }
    access::Repository::WriteOptions options;
    options.attachments = &docs_;
    options.key = e.index;
    if (e.method == "POST") {
      options.id = assigned_id;  // drawn in prepare() (a conditional create that matched is not run)
      options.fresh_id = true;
      options.patient = patient_of(e);
      auto c = repo.create(e.type, e.resource, options);
      if (!c.is_ok()) return failed(repo, e, c.status());
      return response_entry(201, &c->version, with_resource_, base_);
    }
    if (!e.if_match.empty()) {
      auto expected = if_match(e.if_match);
      if (!expected.is_ok()) return Status::invalid("ifMatch must be W/\"<version>\"");
      options.if_match = *expected;
    }
    auto v = repo.update(e.type, e.id, e.resource, options);
    if (!v.is_ok()) return failed(repo, e, v.status());
    return response_entry(v->version == 1 ? 201 : 200, &*v, with_resource_, base_);
  }

  // For a transaction: conditional creates that match an existing resource, then the ids
  // of the others; references to their fullUrls are rewritten in every entry.
  Result<std::vector<Entry>> prepare(access::Repository& repo, std::vector<Entry> entries,
                                     std::map<size_t, json>& existing, std::map<size_t, std::string>& ids) {
    std::map<std::string, std::string> resolved;
    for (auto& e : entries) {
      if (e.method != "POST") continue;
      std::string id;
      if (!e.if_none_exist.empty()) {
        auto cond = if_none_exist(e.type, e.if_none_exist);
        if (!cond.is_ok()) return cond.status();
        auto found = repo.search(std::move(*cond), patient_of(e));
        if (!found.is_ok()) return found.status();
        if (found->matches.size() > 1) return Status::precondition_failed("ifNoneExist matches several resources");
        if (found->matches.size() == 1) {
          id = found->matches[0].id;
          existing[e.index] = response_entry(200, &found->matches[0], with_resource_, base_);
        }
      }
      if (id.empty()) id = crypto::time_ordered_uuid();
      ids[e.index] = id;
      if (!e.full_url.empty()) resolved[e.full_url] = e.type + "/" + id;
    }
    for (auto& e : entries) {
      if (e.resource.is_object()) resolve_references(e.resource, resolved);
    }
    return entries;
  }

  // The validation issues of the last entry that failed validation (then cleared).
  std::vector<fhir::ValidationIssue> take_issues() { return std::exchange(issues_, {}); }

 private:
  Result<json> read(access::Repository& repo, const Entry& e) {
    auto v = repo.read(e.type, e.id);
    if (!v.is_ok()) return v.status();
    return response_entry(200, &*v, true, base_);
  }

  Result<json> search(access::Repository& repo, const Entry& e) {
    auto pairs = decode_form(e.query);
    if (!pairs.is_ok()) return pairs.status();
    auto query = fhir::parse_search(e.type, *pairs, false);
    if (!query.is_ok()) return query.status();
    auto found = repo.search(std::move(*query), patient_of_search(e.type, *pairs));
    if (!found.is_ok()) return found.status();
    json set = {{"resourceType", "Bundle"}, {"type", "searchset"}, {"entry", json::array()}};
    for (const auto& v : found->matches) {
      json resource = json::parse(v.json, nullptr, false);
      if (!resource.is_object()) return Status::corrupt(e.type + "/" + v.id + " is not stored as a resource");
      set["entry"].push_back({{"fullUrl", base_ + "/" + e.type + "/" + v.id}, {"resource", std::move(resource)},
                              {"search", {{"mode", "match"}}}});
    }
    if (set["entry"].empty()) set.erase("entry");
    return json{{"resource", set}, {"response", {{"status", "200 OK"}}}};
  }

  // A write refused: R4 issues are kept with expressions relative to the Bundle
  // (Bundle.entry[i].resource.status).
  Result<json> failed(access::Repository& repo, const Entry& e, const Status& s) {
    auto issues = repo.take_validation_issues();
    if (!issues.empty()) {
      for (auto& i : issues) i.expression = entry_path(e.index) + ".resource" + i.expression.substr(std::min(i.expression.size(), e.type.size()));
      issues_ = std::move(issues);
    }
    return s;
  }

  // The patient of an entry's resource; a Binary's is that of the DocumentReference of the
  // Bundle that names it (IHE MHD ITI-65), else its security context's.
  std::string patient_of(const Entry& e) const {
    std::string patient = e.resource.is_object() ? fhir::patient_of(e.type, e.resource) : std::string();
    if (patient.empty() && e.type == "Binary") {
      if (auto it = naming_.find(e.full_url); it != naming_.end()) {
        const Entry& doc = entries_[it->second];
        patient = fhir::patient_of(doc.type, doc.resource);
      }
    }
    return patient;
  }

  documents::DocumentStaging& docs_;
  const std::map<std::string, size_t>& naming_;
  const std::vector<Entry>& entries_;
  std::string base_;
  bool with_resource_;
  std::vector<fhir::ValidationIssue> issues_;
};

// FHIR's processing order within a transaction: deletes, creates, updates, then reads.
// Among creates, documents' bytes (Binary) come first, so that the DocumentReferences that
// name them find them.
int phase(const Entry& e) {
  if (e.method == "DELETE") return 0;
  if (e.method == "POST") return e.type == "Binary" ? 1 : 2;
  if (e.method == "PUT") return 3;
  return 4;
}

// Documents (Binary.data, attachments' data) go to the vault first, checked against their
// declared type; the rest of the Bundle is validated without them. The Response is an error.
std::optional<Response> stage_documents(json& doc, documents::DocumentStaging& staging, const Request& req) {
  if (!doc.is_object() || !doc.contains("entry") || !doc["entry"].is_array()) return std::nullopt;
  json& list = doc["entry"];
  for (size_t i = 0; i < list.size() && i < kMaxEntries; ++i) {
    json& e = list[i];
    if (!e.is_object() || !e.contains("resource") || !e["resource"].is_object()) continue;
    const json& request = e.contains("request") && e["request"].is_object() ? e["request"] : json::object();
    std::string method = request.contains("method") && request["method"].is_string() ? request["method"].get<std::string>() : "";
    const json& rt = e["resource"].contains("resourceType") ? e["resource"]["resourceType"] : json();
    if ((method != "POST" && method != "PUT") || !rt.is_string()) continue;
    Status st = staging.stage(e["resource"], rt.get<std::string>(), entry_path(i) + ".resource", i);
    if (!st.is_ok()) return outcome(st, req.request_id);
  }
  return std::nullopt;
}

// A Binary that a DocumentReference of the Bundle names belongs to it (securityContext),
// which also gives its download its file name. Returns Binary fullUrl -> index of the
// DocumentReference entry.
std::map<std::string, size_t> name_binaries(std::vector<Entry>& entries) {
  std::map<std::string, size_t> naming;
  for (const auto& e : entries) {
    if (e.type != "DocumentReference" || !e.resource.is_object() || !e.resource.contains("content") ||
        !e.resource["content"].is_array()) {
      continue;
    }
    for (const auto& c : e.resource["content"]) {
      if (!c.is_object() || !c.contains("attachment") || !c["attachment"].is_object()) continue;
      const json& url = c["attachment"].contains("url") ? c["attachment"]["url"] : json();
      if (url.is_string() && !url.get<std::string>().empty()) naming[url.get<std::string>()] = e.index;
    }
  }
  for (auto& e : entries) {
    if (e.type != "Binary" || !e.resource.is_object() || e.resource.contains("securityContext")) continue;
    auto it = naming.find(e.full_url);
    if (it != naming.end() && !entries[it->second].full_url.empty()) {
      e.resource["securityContext"] = {{"reference", entries[it->second].full_url}};
    }
  }
  return naming;
}

Response run_batch(const FhirServices& s, const Request& req, const access::Caller& caller, BundleRunner& runner,
                   const std::vector<Entry>& entries, documents::DocumentStaging& staging) {
  json out = json::array();
  for (const auto& e : entries) {
    json result;
    std::string id = crypto::time_ordered_uuid();
    Status st = s.repositories.run(caller, e.method == "GET" ? store::TxMode::kRead : store::TxMode::kWrite,
                                   [&](access::Repository& repo) -> Status {
                                     auto r = runner.execute(repo, e, id);
                                     if (!r.is_ok()) return r.status();
                                     result = std::move(*r);
                                     return Status::ok();
                                   });
    if (st.is_ok()) staging.committed(e.index);
    if (!st.is_ok()) {
      auto entry_issues = runner.take_issues();
      Response failure = entry_issues.empty() ? outcome(st, req.request_id) : validation_outcome(entry_issues, req.request_id);
      result = {{"response", {{"status", std::to_string(failure.status)}, {"outcome", json::parse(failure.body, nullptr, false)}}}};
    }
    out.push_back(std::move(result));
  }
  json response = {{"resourceType", "Bundle"}, {"type", "batch-response"}, {"entry", out}};
  return Response::text(200, response.dump(), kFhirJson);
}

Response run_transaction(const FhirServices& s, const Request& req, const access::Caller& caller, BundleRunner& runner,
                         const std::vector<Entry>& entries, documents::DocumentStaging& staging) {
  std::vector<json> results(entries.size());
  size_t failed_at = 0;
  Status st = s.repositories.run(caller, store::TxMode::kWrite, [&](access::Repository& repo) -> Status {
    std::map<size_t, json> existing;
    std::map<size_t, std::string> ids;
    auto prepared = runner.prepare(repo, entries, existing, ids);
    if (!prepared.is_ok()) return prepared.status();
    std::vector<const Entry*> order;
    for (const auto& e : *prepared) order.push_back(&e);
    std::stable_sort(order.begin(), order.end(), [](const Entry* a, const Entry* b) { return phase(*a) < phase(*b); });
    for (const Entry* e : order) {
      failed_at = e->index;
      if (auto it = existing.find(e->index); it != existing.end()) {
        results[e->index] = it->second;
        continue;
      }
      auto r = runner.execute(repo, *e, ids[e->index]);
      if (!r.is_ok()) return r.status();
      results[e->index] = std::move(*r);
    }
    return Status::ok();
  });
  if (!st.is_ok()) {
    auto entry_issues = runner.take_issues();
    if (!entry_issues.empty()) return validation_outcome(entry_issues, req.request_id);
    return outcome(st.with_context(entry_path(failed_at)), req.request_id);
  }
  staging.committed();
  json response = {{"resourceType", "Bundle"}, {"type", "transaction-response"}, {"entry", results}};
  return Response::text(200, response.dump(), kFhirJson);
}

}  // namespace

Response bundle(const FhirServices& s, const Request& req) {
  auto caller = authenticate_caller(s.accounts, req);
  if (!caller.is_ok()) return outcome(caller.status(), req.request_id);
  if (!wants_json(req)) return not_acceptable(req);
  if (!json_body(req)) return outcome(415, "not-supported", "send the Bundle as application/fhir+json", req.request_id);
  auto doc = json::parse(body_text(req), nullptr, false);
  if (doc.is_discarded()) return outcome(400, "structure", "body is not valid JSON", req.request_id);
  documents::DocumentStaging staging(s.vault, json_spool(req));
  if (auto refused = stage_documents(doc, staging, req)) return std::move(*refused);
  if (Status taken = all_documents_taken(req); !taken.is_ok()) return outcome(taken, req.request_id);
  auto issues = fhir::Validator::r4().validate(doc, "Bundle");
  if (!issues.empty()) return validation_outcome(issues, req.request_id);
  std::string type = fhir::text_of(doc, "type");
  if (type != "batch" && type != "transaction") {
    return outcome(400, "invalid", "the base URL takes batch or transaction Bundles, not '" + type + "'", req.request_id,
                   "Bundle.type");
  }
  auto entries = read_entries(doc);
  if (!entries.is_ok()) return outcome(entries.status(), req.request_id);
  auto naming = name_binaries(*entries);
  BundleRunner runner(req, staging, naming, *entries);
  if (type == "batch") return run_batch(s, req, *caller, runner, *entries, staging);
  return run_transaction(s, req, *caller, runner, *entries, staging);
}

}  // namespace carnet::api::fhir_rest
