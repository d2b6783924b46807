#include "access/repository.h"

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "access/facts.h"
#include "access/repository_internal.h"
#include "access/visibility.h"
#include "crypto/random.h"
#include "fhir/compartment.h"
#include "fhir/resource_types.h"
#include "fhir/validator.h"

namespace carnet::access {

using json = nlohmann::json;

namespace {

std::string not_there(std::string_view type, std::string_view id) {
  return std::string(type) + "/" + std::string(id.substr(0, 64)) + " does not exist";
}

bool is_professional(const Actor& a) { return a.kind == ActorKind::kProfessional; }

}  // namespace

Repositories::Repositories(store::Store& store, const crypto::KeyRing& ring, const Clock& clock, AuditLog& audit,
                           const ReferenceData& reference, const HookRegistry& hooks, RepositoryOptions options)
    : store_(store), ring_(ring), clock_(clock), audit_(audit), reference_(reference), hooks_(hooks),
      options_(options), resources_(ring, clock) {}

Status Repositories::run(const Caller& caller, store::TxMode mode, const std::function<Status(Repository&)>& fn) {
  std::vector<AuditEvent> pending;
  Status s = store_.transact(mode, [&](store::Transaction& tx) -> Status {
    Repository repo(*this, caller, tx);
    Status inner = fn(repo);
    // An ended session gets nothing else, not even the error of its request.
    if (Status confirmed = repo.confirm_session(); !confirmed.is_ok()) inner = confirmed;
    if (inner.is_ok()) inner = repo.commit_events();
    pending = repo.take_pending_events();
    return inner;
  });
  // Reads and refusals, whatever became of the transaction: group-committed, and durable
  // before the response leaves (core/deferred.h).
  for (auto& e : pending) {
    Status recorded = audit_.record(std::move(e));
    if (!recorded.is_ok() && s.is_ok()) s = recorded;
  }
  return s;
}

Repository::Repository(const Repositories& service, const Caller& caller, store::Transaction& tx)
    : service_(service), caller_(caller), actor_(caller.actor), tx_(tx) {}

Repository::~Repository() = default;

Status Repository::confirm_session() {
  if (session_checked_ || !caller_.unconfirmed_session) return Status::ok();
  const store::Condition& c = *caller_.unconfirmed_session;
  auto held = tx_.query_one("SELECT (" + c.sql + ")", c.params);
  if (!held.is_ok()) return held.status();
  if (!*held || (**held).integer(0) == 0) return Status::unauthenticated("not signed in, or the session has expired");
  session_checked_ = true;
  return Status::ok();
}

Status Repository::commit_events() {
  if (in_transaction_.empty()) return Status::ok();
  return service_.audit_.record_in(tx_, std::exchange(in_transaction_, {}));
}

Result<std::string> Repository::space_for(std::string_view patient) const {
  if (is_professional(actor_)) {
    // A professional works in one patient's record at a time.
    std::string_view p = patient.substr(0, 8) == "Patient/" ? patient.substr(8) : patient;
    if (p.empty()) return Status::invalid("name the patient: search with patient=Patient/{id}, or give the resource a subject");
    return std::string(p);
  }
  // Anyone else acts in their acting space; none (an operator): the decision refuses, and the
  // attempt is audited.
  return caller_.acting_space;
}

Status Repository::complete_professional(int64_t reference_version) {
  auto p = service_.reference_.profession(tx_, actor_.idnatps, reference_version);
  if (!p.is_ok()) return p.status();
  actor_.profession = *p;
  return Status::ok();
}

Result<Repository::Decided> Repository::decide_on(Action action, std::string_view type, std::string_view space,
                                                  std::string_view id, bool with_current,
                                                  const store::Condition* named_by) {
  const fhir::ResourceTypeInfo* info = fhir::find_resource_type(type);
  if (!info) return Status::not_found("resource type '" + std::string(type.substr(0, 40)) + "' is not supported");
  Decided d;
  FactsQuery q;
  q.now = format_instant(service_.clock_.now());
  q.session = session_checked_ || !caller_.unconfirmed_session ? nullptr : &*caller_.unconfirmed_session;
  ResourceFacts resource;
  resource.type = std::string(type);
  if (info->placement == fhir::Placement::kDirectory) {
    d.directory = true;
    d.space = std::string(fhir::kDirectoryCompartment);
    CARNET_RETURN_IF_ERROR(confirm_session());
    resource.directory = true;
    d.decision = decide(actor_, action, {}, resource, Matrix::national_default());
    return d;
  }
  q.space_id = std::string(space);
  q.locate = space.empty() && is_professional(actor_);
  q.type = std::string(type);
  q.resource_id = std::string(id);
  q.named_by = q.resource_id.empty() ? named_by : nullptr;
  q.with_current = with_current && (!id.empty() || q.named_by);
  q.with_reference_version = is_professional(actor_);
  // A create's write and a search's page open bodies with the space's key: it comes with the decision.
  q.with_space_key = action == Action::kCreate || action == Action::kSearch;
  const bool space_level = q.resource_id.empty() && !q.locate && !q.named_by;
  if (auto known = space_level ? space_facts_.find(q.space_id) : space_facts_.end(); known != space_facts_.end()) {
    d.facts = *known->second;
    d.facts.resource.type = q.type;
  } else {
    auto facts = load_facts(tx_, caller_, q);
    if (!facts.is_ok()) {
      // Named by an id that no space holds: nothing to decide on (and a session still to confirm).
      if (facts.status().code() == ErrorCode::kNotFound) CARNET_RETURN_IF_ERROR(confirm_session());
      return facts.status();
    }
    if (!facts->session_confirmed) return Status::unauthenticated("not signed in, or the session has expired");
    session_checked_ = true;
    if (space_level) space_facts_.emplace(q.space_id, std::make_shared<const LoadedFacts>(*facts));
    d.facts = std::move(*facts);
  }
  d.space = d.facts.space.space_id;
  d.located = q.locate;
  ResourceFacts& r = d.facts.resource;
  if (r.category.empty()) r.category = std::string(type_category(type));
  if (is_professional(actor_)) {
    CARNET_RETURN_IF_ERROR(complete_professional(d.facts.reference_version));
    auto m = service_.reference_.matrix(tx_, d.facts.reference_version);
    if (!m.is_ok()) return m.status();
    d.matrix = *m;
  }
  d.decision = decide(actor_, action, d.facts.space, r, d.matrix ? *d.matrix : Matrix::national_default());
  return d;
}

void Repository::audit(const Decided& d, Action action, std::string_view type, std::string_view id, bool in_transaction) {
  // The holder's own acts are not access by someone else (a holder browsing the public
  // directory neither).
  if (d.facts.space.is_holder || (d.directory && actor_.kind == ActorKind::kHolder)) return;
  AuditEvent e;
  e.space_id = d.directory ? std::string("directory") : d.space.empty() ? std::string("-") : d.space;
  if (actor_.kind == ActorKind::kRepresentative) e.on_behalf_of = d.space;
  e.actor_kind = std::string(actor_kind_name(actor_.kind));
  e.actor_id = is_professional(actor_) ? actor_.idnatps : actor_.account_id;
  e.action = std::string(action_name(action));
  e.resource_type = std::string(type);
  e.resource_id = std::string(id);
  e.outcome = d.decision.allowed ? "allowed" : "denied";
  e.reason = d.decision.reason;
  e.client_address = caller_.client_address;
  e.emergency = d.decision.emergency;
  (in_transaction ? in_transaction_ : pending_).push_back(std::move(e));
}

Status Repository::refuse(const Decided& d, Action action, std::string_view type, std::string_view id) {
  audit(d, action, type, id, /*in_transaction=*/false);
  if (id.empty() || action == Action::kCreate || d.directory) return Status::forbidden(d.decision.reason);
  const Matrix& matrix = d.matrix ? *d.matrix : Matrix::national_default();
  // A refusal that does not depend on the resource (an operator, a read-only delegation) says
  // why: it tells nothing of what exists. A professional's space is found by the resource.
  if (!d.located) {
    ResourceFacts bare;
    bare.type = std::string(type);
    bare.category = std::string(type_category(type));
    if (!decide(actor_, action, d.facts.space, bare, matrix).allowed) return Status::forbidden(d.decision.reason);
  }
  // A change refused of what the caller may see says why too.
  if (action != Action::kRead && decide(actor_, Action::kRead, d.facts.space, d.facts.resource, matrix).allowed) {
    return Status::forbidden(d.decision.reason);
  }
  // What the caller may not see is answered as if it did not exist.
  return Status::not_found(not_there(type, id));
}

// ---- Reads -------------------------------------------------------------------------------

Result<fhir::ResourceVersion> Repository::read(std::string_view type, std::string_view id) {
  std::string space = is_professional(actor_) ? std::string() : caller_.acting_space;
  auto d = decide_on(Action::kRead, type, space, id, /*with_current=*/true);
  if (!d.is_ok()) return d.status().code() == ErrorCode::kNotFound ? Status::not_found(not_there(type, id)) : d.status();
  if (!d->decision.allowed) return refuse(*d, Action::kRead, type, id);
  audit(*d, Action::kRead, type, id, false);
  if (d->directory) return service_.resources_.read(tx_, d->space, type, id);
  if (!d->facts.current) return Status::not_found(not_there(type, id));
  return service_.resources_.open_current(tx_, d->space, type, id, *d->facts.current);
}

Result<fhir::ResourceVersion> Repository::vread(std::string_view type, std::string_view id, int64_t version) {
  std::string space = is_professional(actor_) ? std::string() : caller_.acting_space;
  auto d = decide_on(Action::kRead, type, space, id, false);
  if (!d.is_ok()) return d.status().code() == ErrorCode::kNotFound ? Status::not_found(not_there(type, id)) : d.status();
  if (!d->decision.allowed) return refuse(*d, Action::kRead, type, id);
  audit(*d, Action::kRead, type, id, false);
  return service_.resources_.vread(tx_, d->space, type, id, version);
}

Status Repository::history(std::string_view type, std::string_view id,
                           const std::function<Status(const fhir::ResourceVersion&)>& each) {
  std::string space = is_professional(actor_) ? std::string() : caller_.acting_space;
  auto d = decide_on(Action::kRead, type, space, id, false);
  if (!d.is_ok()) return d.status().code() == ErrorCode::kNotFound ? Status::not_found(not_there(type, id)) : d.status();
  if (!d->decision.allowed) return refuse(*d, Action::kRead, type, id);
  audit(*d, Action::kRead, type, id, false);
  bool any = false;
  CARNET_RETURN_IF_ERROR(service_.resources_.history(tx_, d->space, type, id, [&](const fhir::ResourceVersion& v) {
    any = true;
    return each(v);
  }));
  if (!any) return Status::not_found(not_there(type, id));
  return Status::ok();
}

namespace {

// The visibility rules of `type` for this caller as search restrictions.
void restrict(fhir::SearchQuery& query, const std::vector<VisibilityRule>& rules) {
  for (const auto& rule : rules) {
    if (rule.visible.constant_value() == true) continue;
    auto r = search_restriction(rule, query.type);
    query.filters.push_back({std::move(r.sql), std::move(r.params)});
  }
}

}  // namespace

Result<Repository::Found> Repository::search(fhir::SearchQuery query, std::string_view patient, bool read_matches) {
  const fhir::ResourceTypeInfo* info = fhir::find_resource_type(query.type);
  if (!info) return Status::not_found("resource type '" + query.type.substr(0, 40) + "' is not supported");
  std::string space;
  if (info->placement != fhir::Placement::kDirectory) {
    auto s = space_for(patient);
    if (!s.is_ok()) return s.status();
    space = *s;
  }
  auto d = decide_on(Action::kSearch, query.type, space, {}, false);
  if (!d.is_ok()) return d.status();
  if (!d->decision.allowed) return refuse(*d, Action::kSearch, query.type, {});
  audit(*d, Action::kSearch, query.type, {}, false);
  return run_search(*d, std::move(query), read_matches);
}

Result<Repository::Found> Repository::run_search(const Decided& d, fhir::SearchQuery query, bool read_matches) {
  if (!d.directory) {
    restrict(query, visibility_rules(actor_, d.facts.space, query.type, d.matrix ? *d.matrix : Matrix::national_default(),
                                     format_instant(service_.clock_.now())));
  }
  Found found;
  found.space = d.space;
  fhir::Searcher searcher(service_.resources_.index());
  auto page = searcher.run(tx_, found.space, query, read_matches);
  if (!page.is_ok()) return page.status();
  found.page = std::move(*page);
  if (read_matches && !found.page.matches.empty()) {
    auto matches =
        service_.resources_.open_page(tx_, found.space, query.type, found.page.matches, found.page.current);
    if (!matches.is_ok()) return matches.status();
    found.matches = std::move(*matches);
  }
  return found;
}

Result<Repository::Found> Repository::related_search(std::string_view space, fhir::SearchQuery query) {
  auto d = decide_on(Action::kSearch, query.type, space, {}, false);
  if (!d.is_ok()) return d.status();
  if (!d->decision.allowed) {
    Found none;
    none.space = std::string(space);
    return none;
  }
  return run_search(*d, std::move(query), true);
}

Result<std::vector<std::pair<std::string, int64_t>>> Repository::index_lookup(std::string_view space,
                                                                              const fhir::SearchQuery& query) {
  fhir::Searcher searcher(service_.resources_.index());
  auto page = searcher.run(tx_, space, query);
  if (!page.is_ok()) return page.status();
  return std::move(page->matches);
}

Result<std::vector<fhir::ResourceVersion>> Repository::included(const fhir::SearchQuery& query, const Found& found) {
  std::vector<fhir::ResourceVersion> out;
  if (query.includes.empty() || found.page.matches.empty()) return out;
  fhir::Searcher searcher(service_.resources_.index());
  auto refs = searcher.includes(tx_, found.space, query, found.page);
  if (!refs.is_ok()) return refs.status();
  for (const auto& ref : *refs) {
    // From the search's own space or the directory, never from elsewhere.
    const fhir::ResourceTypeInfo* info = fhir::find_resource_type(ref.type);
    if (!info) continue;
    bool directory = info->placement == fhir::Placement::kDirectory;
    auto d = decide_on(Action::kRead, ref.type, directory ? std::string() : found.space, ref.id, !directory);
    if (!d.is_ok()) {
      if (d.status().code() == ErrorCode::kNotFound) continue;
      return d.status();
    }
    if (!d->decision.allowed) {
      audit(*d, Action::kRead, ref.type, ref.id, false);
      continue;
    }
    auto v = directory ? service_.resources_.read(tx_, d->space, ref.type, ref.id)
                       : d->facts.current ? service_.resources_.open_current(tx_, d->space, ref.type, ref.id, *d->facts.current)
                                          : Result<fhir::ResourceVersion>(Status::not_found(not_there(ref.type, ref.id)));
    if (!v.is_ok()) {
      // Deleted or dangling references are left out.
      if (v.status().code() == ErrorCode::kNotFound || v.status().code() == ErrorCode::kGone) continue;
      return v.status();
    }
    audit(*d, Action::kRead, ref.type, ref.id, false);
    out.push_back(std::move(*v));
  }
  return out;
}

Result<fhir::ResourceStore::HistoryPage> Repository::type_history(std::string_view type, std::string_view since,
                                                                  std::string_view cursor, int count) {
  const fhir::ResourceTypeInfo* info = fhir::find_resource_type(type);
  if (!info) return Status::not_found("resource type '" + std::string(type.substr(0, 40)) + "' is not supported");
  std::string space;
  if (info->placement != fhir::Placement::kDirectory) {
    auto s = space_for({});
    if (!s.is_ok()) return s.status();
    space = *s;
  }
  auto d = decide_on(Action::kSearch, type, space, {}, false);
  if (!d.is_ok()) return d.status();
  if (!d->decision.allowed) return refuse(*d, Action::kSearch, type, {});
  audit(*d, Action::kSearch, type, {}, false);
  auto page = service_.resources_.type_history(tx_, d->space, type, since, cursor, count);
  if (!page.is_ok() || d->directory) return page;
  auto rules = visibility_rules(actor_, d->facts.space, type, d->matrix ? *d->matrix : Matrix::national_default(),
                                format_instant(service_.clock_.now()));
  bool restricted = std::any_of(rules.begin(), rules.end(), [](const auto& r) { return r.visible.constant_value() != true; });
  if (!restricted || page->versions.empty()) return page;
  // The versions of what the caller may not see are left out (the page may come out shorter).
  std::string now = format_instant(service_.clock_.now());
  std::map<std::string, ResourceFacts> labels;
  std::string marks;
  std::vector<store::Value> params = {d->space, std::string(type)};
  for (const auto& v : page->versions) {
    if (labels.count(v.id)) continue;
    ResourceFacts& r = labels[v.id];
    r.type = std::string(type);
    marks += marks.empty() ? "?" : ", ?";
    params.emplace_back(v.id);
  }
  CARNET_RETURN_IF_ERROR(tx_.query_each(
      "SELECT resource_id, hidden_from_professionals, hidden_from_representatives, author_idnatps, category, "
      "withheld_until FROM resource_access WHERE compartment = ? AND resource_type = ? AND resource_id IN (" + marks + ")",
      params, [&](const store::Row& row) {
        ResourceFacts& r = labels[row.text(0)];
        r.hidden_from_professionals = row.integer(1) != 0;
        r.hidden_from_representatives = row.integer(2) != 0;
        r.author_idnatps = row.text(3);
        r.category = row.text(4);
        r.withheld_from_patient = !row.is_null(5) && row.text(5) > now;
        return Status::ok();
      }));
  std::erase_if(page->versions, [&](const fhir::ResourceVersion& v) { return hiding_rule(rules, labels[v.id], false) != nullptr; });
  return page;
}

Result<std::string> Repository::enter(Action action, std::string_view type, std::string_view patient) {
  auto space = space_for(patient);
  if (!space.is_ok()) return space.status();
  auto d = decide_on(action, type, *space, {}, false);
  if (!d.is_ok()) return d.status();
  if (!d->decision.allowed) return refuse(*d, action, type, {});
  audit(*d, action, type, {}, false);
  return d->space;
}

Result<std::vector<AuditEvent>> Repository::audit_trail(std::string_view patient, int64_t before_seq, int limit) {
  auto space = enter(Action::kSearch, "AuditEvent", patient);
  if (!space.is_ok()) return space.status();
  return service_.audit_.list(tx_, *space, false, before_seq, limit);
}

Result<std::optional<AuditEvent>> Repository::audit_event(int64_t seq) {
  auto space = enter(Action::kRead, "AuditEvent", {});
  if (!space.is_ok()) return space.status();
  auto e = service_.audit_.get(tx_, *space, seq);
  if (!e.is_ok() || !*e || !(*e)->by_holder) return e;
  return std::optional<AuditEvent>();  // the holder's own actions are their separate history
}

}  // namespace carnet::access
