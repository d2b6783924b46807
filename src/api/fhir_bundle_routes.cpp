// FHIR batch and transaction Bundles (POST /fhir/r4): each entry is a read, search, create,
// update or delete, authorised like the same call on its own. A transaction runs in one
// database transaction (all or nothing; ids of new resources are assigned first so that
// urn:uuid: references between entries resolve); a batch runs each entry on its own.
#include <map>
#include <utility>
#include <nlohmann/json.hpp>

#include "api/fhir_common.h"
#include "api/fhir_documents.h"
#include "api/fhir_profile.h"
#include "crypto/random.h"
#include "fhir/search_index.h"

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
    x.method = req->value("method", "");
    std::string url = req->value("url", "");
    x.if_match = req->value("ifMatch", "");
    x.if_none_exist = req->value("ifNoneExist", "");
    x.full_url = e.value("fullUrl", "");
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
    if (needs_body && x.resource.value("resourceType", "") != x.type) {
      return Status::invalid(where + ".resource is not a " + x.type.substr(0, 40));
    }
    if (x.method == "PUT" && x.resource.value("id", "") != x.id) {
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
    if (with_resource && !v->json.empty()) e["resource"] = json::parse(v->json);
  }
  return e;
}

class BundleRunner {
 public:
  BundleRunner(fhir::ResourceStore& resources, const Call& call, const fhir::Validator& validator, const Request& req,
               DocumentStaging& docs)
      : resources_(resources), call_(call), validator_(validator), docs_(docs), base_(base_url(req)),
        with_resource_(req.header("prefer").find("return=minimal") == std::string_view::npos) {}

  // Asks the access gate about every entry first, outside any database transaction (the
  // gate's audit events commit on their own).
  // `naming`: for a Binary entry's fullUrl, the DocumentReference entry that names it; the
  // document's bytes concern that document's patient (IHE MHD ITI-65).
  void authorize_all(const std::vector<Entry>& entries, const std::map<std::string, size_t>& naming) {
    for (const auto& e : entries) {
      access::Action action = e.method == "GET"    ? (e.id.empty() ? access::Action::kSearch : access::Action::kRead)
                              : e.method == "POST" ? access::Action::kCreate
                              : e.method == "PUT"  ? access::Action::kUpdate
                                                   : access::Action::kDelete;
      std::string patient = e.resource.is_object() ? patient_of_resource(e.resource) : std::string();
      if (patient.empty() && e.type == "Binary") {
        if (auto it = naming.find(e.full_url); it != naming.end()) patient = patient_of_resource(entries[it->second].resource);
        if (patient.empty() && e.resource.is_object()) {
          patient = fhir::normalize_reference(e.resource.value("securityContext", json::object()).value("reference", ""));
          if (patient.rfind("Patient/", 0) != 0) patient.clear();
        }
      }
      if (action == access::Action::kSearch) {
        auto pairs = decode_form(e.query);
        if (pairs.is_ok()) patient = patient_of_search(e.type, *pairs);
      }
      targets_.push_back(authorize(call_, e.type, action, e.id, patient));
    }
  }

  // One entry inside a transaction; its response entry.
  Result<json> execute(store::Transaction& tx, const Entry& e, const std::string& assigned_id) {
    const Result<Target>& target = targets_.at(e.index);
    if (!target.is_ok()) return target.status();
    if (e.method == "GET") {
      if (!e.id.empty()) {
        auto v = resources_.read(tx, target->compartment, e.type, e.id);
        if (!v.is_ok()) return v.status();
        return response_entry(200, &*v, true, base_);
      }
      auto pairs = decode_form(e.query);
      if (!pairs.is_ok()) return pairs.status();
      auto query = fhir::parse_search(e.type, *pairs, false);
      if (!query.is_ok()) return query.status();
      add_visibility(call_, *target, *query);
      fhir::Searcher searcher(resources_.index());
      auto page = searcher.run(tx, target->compartment, *query);
      if (!page.is_ok()) return page.status();
      json set = {{"resourceType", "Bundle"}, {"type", "searchset"}, {"entry", json::array()}};
      for (const auto& [id, version] : page->matches) {
        auto v = resources_.vread(tx, target->compartment, e.type, id, version);
        if (!v.is_ok()) return v.status();
        set["entry"].push_back({{"fullUrl", base_ + "/" + e.type + "/" + id}, {"resource", json::parse(v->json)},
                                {"search", {{"mode", "match"}}}});
      }
      if (set["entry"].empty()) set.erase("entry");
      return json{{"resource", set}, {"response", {{"status", "200 OK"}}}};
    }
    if (e.method == "DELETE") {
      auto v = resources_.remove(tx, target->compartment, e.type, e.id);
      if (!v.is_ok()) return v.status();
      return response_entry(204, nullptr, false, base_);
    }
    auto issues = validator_.validate(e.resource, e.type);
    if (!issues.empty()) {
      // Expressions relative to the Bundle: Bundle.entry[i].resource.status
      for (auto& i : issues) i.expression = entry_path(e.index) + ".resource" + i.expression.substr(e.type.size());
      issues_ = std::move(issues);
      return Status::invalid(issues_.front().expression + ": " + issues_.front().message);
    }
    if (e.method == "POST") {
      auto c = create_resource(tx, resources_, call_, *target, e.resource, std::nullopt, assigned_id, &docs_, e.index);
      if (!c.is_ok()) return c.status();
      return response_entry(201, &c->version, with_resource_, base_);
    }
    std::optional<int64_t> expected;
    if (!e.if_match.empty()) {
      std::string m = e.if_match;
      if (m.rfind("W/", 0) == 0) m = m.substr(2);
      if (m.size() < 3 || m.front() != '"' || m.back() != '"' || m.find_first_not_of("0123456789", 1) != m.size() - 1) {
        return Status::invalid("ifMatch must be W/\"<version>\"");
      }
      expected = std::stoll(m.substr(1, m.size() - 2));
    }
    json resource = e.resource;
    CARNET_RETURN_IF_ERROR(docs_.before_write(tx, resources_, call_, *target, resource, e.id, e.index));
    auto v = resources_.update(tx, target->compartment, e.type, e.id, resource.dump(), expected);
    if (!v.is_ok()) return v.status();
    CARNET_RETURN_IF_ERROR(record_author(tx, call_, *target, *v));
    CARNET_RETURN_IF_ERROR(docs_.after_write(tx, resources_, call_, *target, *v, e.index));
    CARNET_RETURN_IF_ERROR(derive_bmi(tx, resources_, call_, *target, resource));
    return response_entry(v->version == 1 ? 201 : 200, &*v, with_resource_, base_);
  }

  // For a transaction: conditional creates that match an existing resource, then the ids
  // of the others; references to their fullUrls are rewritten in every entry.
  Result<std::vector<Entry>> prepare(store::Transaction& tx, std::vector<Entry> entries,
                                     std::map<size_t, json>& existing, std::map<size_t, std::string>& ids) {
    std::map<std::string, std::string> resolved;
    for (auto& e : entries) {
      if (e.method != "POST") continue;
      std::string id;
      if (!e.if_none_exist.empty()) {
        const Result<Target>& target = targets_.at(e.index);
        if (!target.is_ok()) return target.status();
        auto cond = if_none_exist(e.type, e.if_none_exist);
        if (!cond.is_ok()) return cond.status();
        fhir::Searcher searcher(resources_.index());
        auto found = searcher.run(tx, target->compartment, *cond);
        if (!found.is_ok()) return found.status();
        if (found->matches.size() > 1) return Status::precondition_failed("ifNoneExist matches several resources");
        if (found->matches.size() == 1) {
          id = found->matches[0].first;
          auto v = resources_.read(tx, target->compartment, e.type, id);
          if (!v.is_ok()) return v.status();
          existing[e.index] = response_entry(200, &*v, with_resource_, base_);
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

 private:
  fhir::ResourceStore& resources_;
  const Call& call_;
  const fhir::Validator& validator_;
  DocumentStaging& docs_;
  std::string base_;
  bool with_resource_;
  std::vector<fhir::ValidationIssue> issues_;
  std::vector<Result<Target>> targets_;  // by entry index

 public:
  // The validation issues of the last entry that failed validation (then cleared).
  std::vector<fhir::ValidationIssue> take_issues() { return std::exchange(issues_, {}); }
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

Response bundle(fhir::ResourceStore& resources, store::Store& store, identity::Accounts& accounts, access::Gate& gate,
                const fhir::Validator& validator, documents::Vault& vault, const Request& req) {
  auto call = authenticate_call(accounts, gate, req);
  if (!call.is_ok()) return outcome(call.status(), req.request_id);
  if (!wants_json(req)) return not_acceptable(req);
  if (!json_body(req)) return outcome(415, "not-supported", "send the Bundle as application/fhir+json", req.request_id);
  auto doc = json::parse(body_text(req), nullptr, false);
  if (doc.is_discarded()) return outcome(400, "structure", "body is not valid JSON", req.request_id);
  // Documents (Binary.data, attachments' data) go to the vault first, checked against their
  // declared type; the rest of the Bundle is validated without them.
  FhirBodySink* sink = fhir_sink(req);
  DocumentStaging staging(vault, sink);
  if (doc.is_object() && doc.contains("entry") && doc["entry"].is_array()) {
    json& list = doc["entry"];
    for (size_t i = 0; i < list.size() && i < kMaxEntries; ++i) {
      json& e = list[i];
      if (!e.is_object() || !e.contains("resource") || !e["resource"].is_object()) continue;
      std::string method = e.value("request", json::object()).value("method", "");
      std::string rt = e["resource"].value("resourceType", "");
      if (method != "POST" && method != "PUT") continue;
      Status st = staging.stage(*call, e["resource"], rt, entry_path(i) + ".resource", i);
      if (st.is_ok() && rt == "Observation") st = check_measurement(e["resource"]).with_context(entry_path(i));
      if (!st.is_ok()) return outcome(st, req.request_id);
    }
  }
  if (Status taken = all_documents_taken(req); !taken.is_ok()) return outcome(taken, req.request_id);
  auto issues = validator.validate(doc, "Bundle");
  if (!issues.empty()) return validation_outcome(issues, req.request_id);
  std::string type = doc.value("type", "");
  if (type != "batch" && type != "transaction") {
    return outcome(400, "invalid", "the base URL takes batch or transaction Bundles, not '" + type + "'", req.request_id,
                   "Bundle.type");
  }
  auto entries = read_entries(doc);
  if (!entries.is_ok()) return outcome(entries.status(), req.request_id);
  // A Binary that a DocumentReference of the Bundle names belongs to it (securityContext),
  // which also gives its download its file name.
  std::map<std::string, size_t> naming;  // Binary fullUrl -> index of the DocumentReference entry
  for (const auto& e : *entries) {
    if (e.type != "DocumentReference" || !e.resource.is_object()) continue;
    for (const auto& c : e.resource.value("content", json::array())) {
      std::string url = c.value("attachment", json::object()).value("url", "");
      if (!url.empty()) naming[url] = e.index;
    }
  }
  for (auto& e : *entries) {
    if (e.type != "Binary" || !e.resource.is_object() || e.resource.contains("securityContext")) continue;
    auto it = naming.find(e.full_url);
    if (it != naming.end() && !(*entries)[it->second].full_url.empty()) {
      e.resource["securityContext"] = {{"reference", (*entries)[it->second].full_url}};
    }
  }
  BundleRunner runner(resources, *call, validator, req, staging);
  runner.authorize_all(*entries, naming);
  json out = json::array();

  if (type == "batch") {
    for (const auto& e : *entries) {
      json result;
      std::string id = crypto::time_ordered_uuid();
      Status s = store.transact(e.method == "GET" ? store::TxMode::kRead : store::TxMode::kWrite,
                                [&](store::Transaction& tx) -> Status {
                                  auto r = runner.execute(tx, e, id);
                                  if (!r.is_ok()) return r.status();
                                  result = std::move(*r);
                                  return Status::ok();
                                });
      if (s.is_ok()) staging.committed(e.index);
      if (!s.is_ok()) {
        auto entry_issues = runner.take_issues();
        Response failure = entry_issues.empty() ? outcome(s, req.request_id) : validation_outcome(entry_issues, req.request_id);
        int status = failure.status;
        json oo = json::parse(failure.body);
        result = {{"response", {{"status", std::to_string(status)}, {"outcome", oo}}}};
      }
      out.push_back(std::move(result));
    }
    json response = {{"resourceType", "Bundle"}, {"type", "batch-response"}, {"entry", out}};
    return Response::text(200, response.dump(), kFhirJson);
  }

  std::vector<json> results(entries->size());
  size_t failed_at = 0;
  Status s = store.transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
    std::map<size_t, json> existing;
    std::map<size_t, std::string> ids;
    auto prepared = runner.prepare(tx, *entries, existing, ids);
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
      auto r = runner.execute(tx, *e, ids[e->index]);
      if (!r.is_ok()) return r.status();
      results[e->index] = std::move(*r);
    }
    return Status::ok();
  });
  if (!s.is_ok()) {
    auto entry_issues = runner.take_issues();
    if (!entry_issues.empty()) return validation_outcome(entry_issues, req.request_id);
    return outcome(s.with_context(entry_path(failed_at)), req.request_id);
  }
  staging.committed();
  json response = {{"resourceType", "Bundle"}, {"type", "transaction-response"}, {"entry", results}};
  return Response::text(200, response.dump(), kFhirJson);
}

}  // namespace

void add_bundle_routes(std::vector<Route>& routes, identity::Accounts& accounts, access::Gate& gate, store::Store& store,
                       std::shared_ptr<fhir::ResourceStore> resources, const fhir::Validator& validator,
                       documents::Vault& vault) {
  // Some clients (fhir-kit-client) post to the base with a trailing slash.
  for (const char* base : {"/fhir/r4", "/fhir/r4/"}) {
    routes.push_back({"POST", base, "", [&accounts, &gate, &store, &validator, &vault, resources](const Request& req) {
                        return bundle(*resources, store, accounts, gate, validator, vault, req);
                      }, kDocumentBodyLimit, Execution::kWorker, fhir_body_sink(vault, kBundleLimit)});
  }
}

}  // namespace carnet::api::fhir_rest
