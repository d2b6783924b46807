// Repository: creates, updates and deletes, with their hooks (hooks.h) and access labels.
#include "access/repository.h"

#include <nlohmann/json.hpp>

#include "access/repository_internal.h"
#include "access/visibility.h"
#include "crypto/random.h"
#include "fhir/compartment.h"
#include "fhir/resource_types.h"
#include "fhir/validator.h"

namespace carnet::access {

using json = nlohmann::json;

namespace {

bool is_professional(const Actor& a) { return a.kind == ActorKind::kProfessional; }

std::string not_there(std::string_view type, std::string_view id) {
  return std::string(type) + "/" + std::string(id.substr(0, 64)) + " does not exist";
}

}  // namespace

Status Repository::check_compartment(std::string_view space, std::string_view type, const json& resource) const {
  std::string patient = "Patient/" + std::string(space);
  for (const auto& ref : fhir::patient_references(type, resource)) {
    if (ref.reference == patient) continue;
    return Status::unprocessable(ref.path + ": this record is " + patient + "'s; what is written in it names that patient" +
                                 (ref.reference.empty() ? std::string() : ", not " + ref.reference));
  }
  return Status::ok();
}

Result<fhir::ResourceVersion> Repository::write(WriteContext& w, json& resource, std::optional<int64_t> if_match,
                                                bool run_hooks, bool as_create) {
  // Nothing reads the resource before it is known to be valid R4.
  auto issues = fhir::Validator::r4().validate(resource, w.type);
  if (!issues.empty()) {
    Status s = Status::unprocessable(issues.front().expression + ": " + issues.front().message);
    validation_issues_ = std::move(issues);
    return s;
  }
  CARNET_RETURN_IF_ERROR(check_compartment(w.space, w.type, resource));
  auto hooks = service_.hooks_.of(w.type);
  if (run_hooks) {
    for (const auto* h : hooks) CARNET_RETURN_IF_ERROR(h->validate(w, resource));
    for (const auto* h : hooks) CARNET_RETURN_IF_ERROR(h->before_write(w, resource));
  }
  Result<fhir::ResourceVersion> v =
      as_create ? service_.resources_.create(tx_, w.space, w.type, resource, w.id, w.fresh_id)
               : service_.resources_.update(tx_, w.space, w.type, w.id, resource, if_match);
  if (!v.is_ok()) return v.status();
  CARNET_RETURN_IF_ERROR(write_labels(w, *v, resource));
  if (run_hooks) {
    for (const auto* h : hooks) CARNET_RETURN_IF_ERROR(h->after_write(w, *v, resource));
  }
  return v;
}

Status Repository::write_labels(const WriteContext& w, const fhir::ResourceVersion& v, const json& resource) {
  Labels labels;
  for (const auto* h : service_.hooks_.of(w.type)) h->labels(w, resource, labels);
  bool professional = is_professional(actor_);
  if (!professional && !labels.labelled) return Status::ok();
  // Only the professional who adds a result withholds it from the patient.
  if (!professional) labels.withheld_from_patient = false;
  auto now_t = service_.clock_.now();
  std::string now = format_instant(now_t);
  std::string until = format_instant(now_t + service_.options_.withheld_release_after);
  int64_t withhold = labels.withheld_from_patient ? 1 : 0;
  auto row = [&](const std::string& type, const std::string& id) {
    return tx_.exec(
        "INSERT INTO resource_access (compartment, resource_type, resource_id, author_idnatps, category, "
        "hidden_from_representatives, hidden_from_professionals, withheld_since, withheld_until) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (compartment, resource_type, resource_id) DO UPDATE SET category = excluded.category, "
        "author_idnatps = COALESCE(resource_access.author_idnatps, excluded.author_idnatps), "
        "hidden_from_representatives = CASE WHEN excluded.hidden_from_representatives = 1 THEN 1 "
        "ELSE resource_access.hidden_from_representatives END, "
        "hidden_from_professionals = CASE WHEN excluded.hidden_from_professionals = 1 THEN 1 "
        "ELSE resource_access.hidden_from_professionals END, "
        "withheld_since = CASE WHEN ? = 1 THEN COALESCE(resource_access.withheld_since, excluded.withheld_since) "
        "ELSE resource_access.withheld_since END, "
        // The author drops the label after the announcement consultation: released now.
        "withheld_until = CASE WHEN ? = 1 THEN COALESCE(resource_access.withheld_until, excluded.withheld_until) "
        "WHEN resource_access.withheld_until > ? THEN ? ELSE resource_access.withheld_until END",
        {w.space, type, id, professional ? store::Value(actor_.idnatps) : store::Value(nullptr),
         labels.category.empty() ? store::Value(nullptr) : store::Value(labels.category),
         int64_t(labels.hidden_from_representatives ? 1 : 0), int64_t(labels.hidden_from_professionals ? 1 : 0),
         withhold ? store::Value(now) : store::Value(nullptr), withhold ? store::Value(until) : store::Value(nullptr),
         withhold, withhold, now, now});
  };
  CARNET_RETURN_IF_ERROR(row(v.type, v.id).status());
  for (const auto& b : labels.followers) CARNET_RETURN_IF_ERROR(row("Binary", b).status());
  return Status::ok();
}

std::vector<fhir::ValidationIssue> Repository::take_validation_issues() { return std::exchange(validation_issues_, {}); }

Result<Repository::Created> Repository::create(std::string_view type, json resource, const WriteOptions& options) {
  const fhir::ResourceTypeInfo* info = fhir::find_resource_type(type);
  if (!info) return Status::not_found("resource type '" + std::string(type.substr(0, 40)) + "' is not supported");
  std::string space;
  if (info->placement != fhir::Placement::kDirectory) {
    std::string patient = options.patient.empty() ? fhir::patient_of(type, resource) : options.patient;
    auto s = space_for(patient);
    if (!s.is_ok()) return s.status();
    space = *s;
  }
  auto d = decide_on(Action::kCreate, type, space, {}, false);
  if (!d.is_ok()) return d.status();
  if (!d->decision.allowed) return refuse(*d, Action::kCreate, type, {});
  if (options.if_none_exist) {
    // What the caller may not see is not found by a condition either.
    fhir::SearchQuery condition = *options.if_none_exist;
    condition.type = std::string(type);
    auto found = run_search(*d, std::move(condition), /*read_matches=*/true);
    if (!found.is_ok()) return found.status();
    if (found->matches.size() > 1) return Status::precondition_failed("If-None-Exist matches several resources");
    if (found->matches.size() == 1) return Created{std::move(found->matches.front()), false};
  }
  WriteContext w{*this, d->space, std::string(type), options.id.empty() ? crypto::time_ordered_uuid() : options.id};
  w.create = true;
  w.fresh_id = options.id.empty() || options.fresh_id;
  w.attachments = options.attachments;
  w.key = options.key;
  resource["id"] = w.id;  // the server assigns the id, as FHIR says for create
  auto v = write(w, resource, std::nullopt, true, true);
  if (!v.is_ok()) return v.status();
  audit(*d, Action::kCreate, type, v->id, /*in_transaction=*/true);
  return Created{std::move(*v), true};
}

Result<fhir::ResourceVersion> Repository::update(std::string_view type, std::string_view id, json resource,
                                                 const WriteOptions& options) {
  const fhir::ResourceTypeInfo* info = fhir::find_resource_type(type);
  if (!info) return Status::not_found("resource type '" + std::string(type.substr(0, 40)) + "' is not supported");
  std::string space = is_professional(actor_) || info->placement == fhir::Placement::kDirectory ? std::string()
                                                                                               : caller_.acting_space;
  auto d = decide_on(Action::kUpdate, type, space, id, /*with_current=*/true);
  if (!d.is_ok()) return d.status().code() == ErrorCode::kNotFound ? Status::not_found(not_there(type, id)) : d.status();
  if (!d->decision.allowed) return refuse(*d, Action::kUpdate, type, id);
  WriteContext w{*this, d->space, std::string(type), std::string(id)};
  w.create = !d->facts.current || d->facts.current->is_null(0);
  w.attachments = options.attachments;
  w.key = options.key;
  auto v = write(w, resource, options.if_match, true, false);
  if (!v.is_ok()) return v.status();
  audit(*d, Action::kUpdate, type, id, /*in_transaction=*/true);
  return v;
}

Result<std::optional<int64_t>> Repository::remove(std::string_view type, std::string_view id) {
  const fhir::ResourceTypeInfo* info = fhir::find_resource_type(type);
  if (!info) return Status::not_found("resource type '" + std::string(type.substr(0, 40)) + "' is not supported");
  std::string space = is_professional(actor_) || info->placement == fhir::Placement::kDirectory ? std::string()
                                                                                               : caller_.acting_space;
  auto d = decide_on(Action::kDelete, type, space, id, /*with_current=*/true);
  if (!d.is_ok()) return d.status().code() == ErrorCode::kNotFound ? Status::not_found(not_there(type, id)) : d.status();
  if (!d->decision.allowed) return refuse(*d, Action::kDelete, type, id);
  const auto& current = d->facts.current;
  if (current && !current->is_null(0) && current->integer(2) == 0) {
    auto v = service_.resources_.open_current(tx_, d->space, type, id, *current);
    if (!v.is_ok()) return v.status();
    WriteContext w{*this, d->space, std::string(type), std::string(id)};
    for (const auto* h : service_.hooks_.of(type)) CARNET_RETURN_IF_ERROR(h->on_delete(w, *v));
  }
  auto removed = service_.resources_.remove(tx_, d->space, type, id);
  if (!removed.is_ok()) return removed.status();
  audit(*d, Action::kDelete, type, id, /*in_transaction=*/true);
  return removed;
}

Result<fhir::ResourceVersion> Repository::related(std::string_view space, std::string_view type, std::string_view id) {
  auto d = decide_on(Action::kRead, type, space, id, /*with_current=*/true);
  if (!d.is_ok()) return d.status().code() == ErrorCode::kNotFound ? Status::not_found(not_there(type, id)) : d.status();
  if (!d->decision.allowed || !d->facts.current) return Status::not_found(not_there(type, id));
  return service_.resources_.open_current(tx_, d->space, type, id, *d->facts.current);
}

Result<std::optional<fhir::ResourceVersion>> Repository::related_named_by(std::string_view space,
                                                                      std::string_view type,
                                                                      const store::Condition& named_by) {
  auto d = decide_on(Action::kRead, type, space, {}, /*with_current=*/true, &named_by);
  if (!d.is_ok()) return d.status();
  const std::string& id = d->facts.named_id;
  if (id.empty()) return std::optional<fhir::ResourceVersion>();
  if (!d->decision.allowed || !d->facts.current) return Status::not_found(not_there(type, id));
  auto v = service_.resources_.open_current(tx_, d->space, type, id, *d->facts.current);
  if (!v.is_ok()) return v.status();
  return std::optional<fhir::ResourceVersion>(std::move(*v));
}

Result<fhir::ResourceVersion> Repository::create_derived(const WriteContext& w, std::string_view type, json resource) {
  WriteContext derived{*this, w.space, std::string(type), crypto::time_ordered_uuid()};
  derived.create = true;
  derived.derived = true;
  derived.fresh_id = true;
  derived.attachments = w.attachments;
  derived.key = w.key;
  resource["id"] = derived.id;
  return write(derived, resource, std::nullopt, true, true);
}

Result<fhir::ResourceVersion> Repository::update_related(const WriteContext& w, std::string_view type,
                                                         std::string_view id, json resource, int64_t if_match) {
  auto d = decide_on(Action::kUpdate, type, w.space, id, /*with_current=*/true);
  if (!d.is_ok()) return d.status().code() == ErrorCode::kNotFound ? Status::not_found(not_there(type, id)) : d.status();
  if (!d->decision.allowed) return refuse(*d, Action::kUpdate, type, id);
  WriteContext related{*this, w.space, std::string(type), std::string(id)};
  related.derived = true;
  auto v = write(related, resource, if_match, /*run_hooks=*/false, false);
  if (!v.is_ok()) return v.status();
  audit(*d, Action::kUpdate, type, id, /*in_transaction=*/true);
  return v;
}

Result<std::optional<int64_t>> Repository::remove_derived(const WriteContext& w, std::string_view type,
                                                          std::string_view id) {
  return service_.resources_.remove(tx_, w.space, type, id);
}

}  // namespace carnet::access
