#include "access/gate.h"
#include "store/insert_rows.h"

#include <nlohmann/json.hpp>

#include "fhir/resource_store.h"
#include "identity/directory.h"

namespace carnet::access {

Result<SpaceFacts> Gate::space_facts(store::Transaction& tx, const Caller& caller, std::string_view space_id) const {
  return space_facts(tx, caller, space_id, {}, nullptr);
}

namespace {

// The facts of a space for a caller in one statement: the space, for a professional their
// relationships, block and the holder's emergency setting, and a resource's own flags.
// Columns 0-10 as read by Gate::facts_from_row; the FROM clause that follows names the rows
// `s` (spaces) and `x` (resource_access), and may add columns before it.
constexpr char kFactsColumns[] =
    "SELECT s.state, s.activated_at, "
    "(SELECT SUM(DISTINCT CASE c.kind WHEN 'designated' THEN 1 WHEN 'care_team' THEN 2 WHEN 'consent' THEN 4 "
    "WHEN 'emergency' THEN 8 ELSE 0 END) FROM care_relationships c WHERE c.space_id = s.space_id AND c.idnatps = ? "
    "AND c.removed_at IS NULL AND (c.expires_at IS NULL OR c.expires_at > ?)), "
    "(SELECT 1 + b.emergency_allowed FROM blocked_professionals b WHERE b.space_id = s.space_id AND b.idnatps = ?), "
    "(SELECT e.emergency_forbidden FROM space_access_settings e WHERE e.space_id = s.space_id), "
    "x.resource_id, x.hidden_from_professionals, x.hidden_from_representatives, x.author_idnatps, x.category, "
    "x.withheld_until";

// The IdNatPs kFactsColumns' relationship and block columns are read for ("" for anyone else).
std::string professional_id(const Caller& caller) {
  const Actor& a = caller.actor;
  return a.kind == ActorKind::kProfessional ? a.idnatps : std::string();
}

}  // namespace

namespace {

// The columns asked by `extras` (after the facts', and their parameters in that order).
std::string extra_columns(const Gate::Extras* extras, std::vector<store::Value>& params) {
  std::string sql;
  if (!extras) return sql;
  if (extras->current) sql += ", " + std::string(fhir::ResourceStore::kCurrentColumns);
  if (extras->session) {
    sql += ", (" + extras->session->sql + ")";
    params.insert(params.end(), extras->session->params.begin(), extras->session->params.end());
  }
  if (extras->reference_version) sql += ", (" + std::string(store::kReferenceVersionQuery) + ")";
  return sql;
}

// Reads the columns extra_columns() asked for from `row`, starting at `first`.
void read_extras(Gate::Extras* extras, const store::Row& row, size_t first) {
  if (!extras) return;
  if (extras->current) {
    std::vector<store::Value> values;
    for (size_t i = 0; i < fhir::ResourceStore::kCurrentColumnCount; ++i) values.push_back(row.value(first + i));
    *extras->current = store::Row(std::move(values));
    first += fhir::ResourceStore::kCurrentColumnCount;
  }
  if (extras->session) extras->session_confirmed = row.integer(first++) != 0;
  if (extras->reference_version) extras->reference_version_read = row.integer(first);
}

}  // namespace

Result<SpaceFacts> Gate::space_facts(store::Transaction& tx, const Caller& caller, std::string_view space_id,
                                     std::string_view resource_id, ResourceFacts* resource, Extras* extras) const {
  std::string now = format_instant(clock_.now()), pro = professional_id(caller);
  std::string type = resource ? resource->type : std::string(), id(resource ? resource_id : std::string_view());
  std::vector<store::Value> params = {pro, now, pro};
  std::string sql = std::string(kFactsColumns) + extra_columns(extras, params) +
                    " FROM spaces s LEFT JOIN resource_access x ON x.compartment = s.space_id AND x.resource_type = ? "
                    "AND x.resource_id = ?";
  params.insert(params.end(), {type, id});
  if (extras && extras->current) {
    sql += " LEFT JOIN resources r ON r.compartment = s.space_id AND r.resource_type = ? AND r.resource_id = ? " +
           std::string(fhir::ResourceStore::kCurrentJoin);
    params.insert(params.end(), {type, id});
  }
  params.emplace_back(std::string(space_id));
  auto row = tx.query_one(sql + " WHERE s.space_id = ?", params);
  if (!row.is_ok()) return row.status();
  if (*row) read_extras(extras, **row, 11);
  return facts_from_row(tx, caller, space_id, row->has_value() ? &**row : nullptr, now, resource);
}

Result<SpaceFacts> Gate::space_facts_of_resource(store::Transaction& tx, const Caller& caller,
                                                 std::string_view resource_id, ResourceFacts& resource,
                                                 Extras* extras) const {
  std::string now = format_instant(clock_.now()), pro = professional_id(caller);
  std::vector<store::Value> params = {pro, now, pro};
  // The resource locates its space (resources_by_id), whose facts come in the same round trip.
  std::string sql = std::string(kFactsColumns) + ", r.compartment" + extra_columns(extras, params) +
                    " FROM resources r LEFT JOIN spaces s ON s.space_id = r.compartment "
                    "LEFT JOIN resource_access x ON x.compartment = r.compartment AND x.resource_type = r.resource_type "
                    "AND x.resource_id = r.resource_id " +
                    (extras && extras->current ? std::string(fhir::ResourceStore::kCurrentJoin) : std::string()) +
                    " WHERE r.resource_type = ? AND r.resource_id = ? LIMIT 1";
  params.insert(params.end(), {resource.type, std::string(resource_id)});
  auto row = tx.query_one(sql, params);
  if (!row.is_ok()) return row.status();
  if (!*row || (*row)->text(11) == "directory") {
    return Status::not_found(resource.type + "/" + std::string(resource_id) + " does not exist");
  }
  std::string space_id = (*row)->text(11);
  read_extras(extras, **row, 12);
  // No spaces row (erased): the state column is NULL, read as closed.
  return facts_from_row(tx, caller, space_id, (*row)->is_null(0) ? nullptr : &**row, now, &resource);
}

Result<SpaceFacts> Gate::facts_from_row(store::Transaction& tx, const Caller& caller, std::string_view space_id,
                                        const store::Row* row, const std::string& now, ResourceFacts* resource) const {
  SpaceFacts f;
  f.space_id = std::string(space_id);
  const Actor& a = caller.actor;
  bool professional = a.kind == ActorKind::kProfessional && !a.idnatps.empty();
  if (!row) {
    f.state = "closed";  // unknown or erased: nothing is allowed
    return f;
  }
  const store::Row& r = *row;
  if (resource && !r.is_null(5)) {
    resource->hidden_from_professionals = r.integer(6) != 0;
    resource->hidden_from_representatives = r.integer(7) != 0;
    resource->author_idnatps = r.text(8);
    if (!r.is_null(9)) resource->category = r.text(9);
    resource->withheld_from_patient = !r.is_null(10) && r.text(10) > now;
  }
  f.state = r.text(0);
  f.activated = !r.is_null(1);
  if (a.kind == ActorKind::kHolder || a.kind == ActorKind::kRepresentative) {
    f.is_holder = !caller.own_space.empty() && caller.own_space == space_id;
    f.is_representative = !f.is_holder && caller.acting_space == space_id;
    if (f.is_representative) {
      // Acting by delegation rather than as a legal representative: with the rights given.
      auto d = tx.query_one(
          "SELECT rights FROM delegations WHERE space_id = ? AND delegate_space_id = ? AND revoked_at IS NULL",
          {f.space_id, caller.own_space});
      if (!d.is_ok()) return d.status();
      f.read_only = *d && (*d)->text(0) == "read";
    }
  }
  if (!professional) return f;
  const int64_t kinds = r.integer(2);  // one bit per kind of relationship in force
  f.designated_physician = kinds & 1;
  f.care_team = kinds & 2;
  f.consent = kinds & 4;
  f.emergency = kinds & 8;
  if (!r.is_null(3)) {
    f.blocked = true;
    f.emergency_despite_block = r.integer(3) == 2;
  }
  f.emergency_forbidden = r.integer(4) != 0;
  return f;
}

Status Gate::resource_flags(store::Transaction& tx, std::string_view space_id, std::string_view id,
                            ResourceFacts& r) const {
  auto row = tx.query_one(
      "SELECT hidden_from_professionals, hidden_from_representatives, author_idnatps, category, withheld_until "
      "FROM resource_access WHERE compartment = ? AND resource_type = ? AND resource_id = ?",
      {std::string(space_id), r.type, std::string(id)});
  if (!row.is_ok()) return row.status();
  if (*row) {
    r.hidden_from_professionals = (*row)->integer(0) != 0;
    r.hidden_from_representatives = (*row)->integer(1) != 0;
    r.author_idnatps = (*row)->text(2);
    if (!(*row)->is_null(3)) r.category = (*row)->text(3);
    r.withheld_from_patient = !(*row)->is_null(4) && (*row)->text(4) > format_instant(clock_.now());
  }
  return Status::ok();
}

Result<Matrix> Gate::matrix(store::Transaction& tx) const {
  Matrix m;
  bool any = false;
  CARNET_RETURN_IF_ERROR(tx.query_each(
      "SELECT profession_code, profession_label, category, allowed FROM access_matrix", {}, [&](const store::Row& r) {
        any = true;
        return m.add(r.text(0), r.text(1), r.text(2), r.integer(3) != 0);
      }));
  if (!any) return Matrix::national_default();
  return m;
}

Status Gate::replace_matrix(store::Transaction& tx, const Matrix& m) {
  CARNET_RETURN_IF_ERROR(tx.exec("DELETE FROM access_matrix").status());
  std::vector<std::vector<store::Value>> rows;
  for (const auto& [code, label] : m.professions()) {
    for (std::string_view c : kCategories) rows.push_back({code, label, std::string(c), int64_t{m.allows(code, c)}});
  }
  CARNET_RETURN_IF_ERROR(
      store::insert_rows(tx, "access_matrix", "profession_code, profession_label, category, allowed", std::move(rows)).status());
  return store::bump_reference_version(tx);
}

void Gate::drop_caches() const {
  std::lock_guard lock(cache_mu_);
  matrix_.reset();
  matrix_version_ = -1;
  professions_.clear();
  seen_version_ = -1;
}

Result<std::string> Gate::load_profession(store::Transaction& tx, const std::string& idnatps) const {
  fhir::ResourceStore resources(ring_, clock_);
  auto v = resources.read(tx, fhir::kDirectoryCompartment, "Practitioner", identity::practitioner_id(idnatps));
  if (!v.is_ok()) {
    if (v.status().code() == ErrorCode::kNotFound || v.status().code() == ErrorCode::kGone) {
      return Status::forbidden("the national directory no longer lists this professional");
    }
    return v.status();
  }
  auto doc = nlohmann::json::parse(v->json);
  if (!doc.value("active", true)) return Status::forbidden("the national directory lists this professional as inactive");
  for (const auto& q : doc.value("qualification", nlohmann::json::array())) {
    for (const auto& c : q["code"].value("coding", nlohmann::json::array())) {
      if (c.contains("code") && c["code"].is_string()) return c["code"].get<std::string>();
    }
  }
  return Status::forbidden("the directory gives no profession for this professional");
}

void Gate::remember_profession(const std::string& idnatps, const std::string& profession, int64_t version) const {
  std::lock_guard lock(cache_mu_);
  if (professions_.size() > 100'000) professions_.clear();
  professions_[idnatps] = {profession, version};
}

Status Gate::complete(Actor& actor) const {
  if (actor.kind != ActorKind::kProfessional || !actor.profession.empty()) return Status::ok();
  {
    std::lock_guard lock(cache_mu_);
    auto it = professions_.find(actor.idnatps);
    if (it != professions_.end() && it->second.second == seen_version_) {
      actor.profession = it->second.first;
      return Status::ok();
    }
  }
  int64_t version = 0;
  Status s = store_.transact(store::TxMode::kRead, [&](store::Transaction& tx) -> Status {
    auto v = store::reference_version(tx);
    if (!v.is_ok()) return v.status();
    version = *v;
    auto p = load_profession(tx, actor.idnatps);
    if (!p.is_ok()) return p.status();
    actor.profession = *p;
    return Status::ok();
  });
  if (s.is_ok()) remember_profession(actor.idnatps, actor.profession, version);
  return s;
}

std::vector<Gate::Filter> Gate::search_filters(const Caller& caller, std::string_view space_id, std::string_view type) const {
  std::vector<Filter> out;
  const Actor& a = caller.actor;
  const std::string owner =
      "SELECT x.resource_id FROM resource_access x WHERE x.compartment = r.compartment AND x.resource_type = r.resource_type";
  if (a.kind == ActorKind::kHolder || a.kind == ActorKind::kRepresentative) {
    // Results withheld until an announcement consultation (documents) are not found yet.
    bool documents = type == "DocumentReference" || type == "Binary";
    if (a.kind == ActorKind::kRepresentative) {
      out.push_back({"r.resource_id NOT IN (" + owner + " AND (x.hidden_from_representatives = 1" +
                         (documents ? " OR x.withheld_until > ?))" : "))"),
                     documents ? std::vector<store::Value>{format_instant(clock_.now())} : std::vector<store::Value>{}});
    } else if (documents) {
      out.push_back({"r.resource_id NOT IN (" + owner + " AND x.withheld_until > ?)", {format_instant(clock_.now())}});
    }
  } else if (a.kind == ActorKind::kProfessional) {
    if (type == "Communication") {
      out.push_back({"r.resource_id IN (" + owner + " AND x.author_idnatps = ?)", {a.idnatps}});
      return out;
    }
    if (type == "DocumentReference" || type == "Binary") {
      // Only documents of categories the profession may see are found (and their author's
      // own); a document of no known category is found by no professional.
      std::vector<store::Value> params;
      params.emplace_back(std::in_place_type<std::string>, a.idnatps);
      std::shared_ptr<const Matrix> m;
      {
        std::lock_guard lock(cache_mu_);
        m = matrix_;
      }
      std::string profession = a.profession;
      {
        // check() ran first in this request and refreshed it if the directory changed.
        std::lock_guard lock(cache_mu_);
        auto it = professions_.find(a.idnatps);
        if (it != professions_.end()) profession = it->second.first;
      }
      const Matrix& matrix = m ? *m : Matrix::national_default();
      std::string allowed;
      for (std::string_view c : kCategories) {
        if (!matrix.allows(profession, c)) continue;
        allowed += allowed.empty() ? "?" : ", ?";
        params.emplace_back(std::in_place_type<std::string>, c);
      }
      std::string sql = "r.resource_id IN (" + owner + " AND (x.author_idnatps = ?" +
                        (allowed.empty() ? std::string() : " OR x.category IN (" + allowed + ")") + "))";
      out.push_back({std::move(sql), std::move(params)});
    }
    // Hidden documents stay visible to their author and to the designated physician.
    out.push_back({"r.resource_id NOT IN (" + owner +
                       " AND x.hidden_from_professionals = 1 AND COALESCE(x.author_idnatps, '') <> ? AND NOT EXISTS ("
                       "SELECT 1 FROM care_relationships c WHERE c.space_id = ? AND c.idnatps = ? AND c.kind = 'designated' "
                       "AND c.removed_at IS NULL))",
                   {a.idnatps, std::string(space_id), a.idnatps}});
  }
  return out;
}

Result<std::shared_ptr<const Matrix>> Gate::cached_matrix(store::Transaction& tx, int64_t version) const {
  {
    std::lock_guard lock(cache_mu_);
    if (matrix_ && matrix_version_ == version) return matrix_;
  }
  auto m = matrix(tx);
  if (!m.is_ok()) return m.status();
  auto fresh = std::make_shared<const Matrix>(std::move(*m));
  std::lock_guard lock(cache_mu_);
  matrix_ = fresh;
  matrix_version_ = version;
  return fresh;
}

Result<Decision> Gate::check(const Caller& caller, Action action, Target& target) {
  Decision d;
  bool own = false;
  // Each fact is read as it stands now; none depends on another being read at the same instant.
  bool session_refused = false;
  Status s = store_.transact(store::TxMode::kReadEach, [&](store::Transaction& tx) -> Status {
    target.current.reset();
    session_refused = false;
    SpaceFacts facts;
    ResourceFacts r = target.resource;
    bool with_resource = !target.resource_id.empty();
    Extras extras;
    extras.current = with_resource && target.read_current ? &target.current : nullptr;
    extras.session = caller.unconfirmed_session ? &*caller.unconfirmed_session : nullptr;
    extras.reference_version = caller.actor.kind == ActorKind::kProfessional;
    Status located = Status::ok();
    if (target.space_id.empty() && with_resource && !target.resource.directory) {
      // Named by id alone: the space holding it, and its facts, in one statement.
      auto f = space_facts_of_resource(tx, caller, target.resource_id, r, &extras);
      if (f.is_ok()) {
        facts = std::move(*f);
        target.space_id = facts.space_id;
      } else {
        located = f.status();
      }
    } else if (!target.resource.directory) {
      // The resource's flags come with the space's facts (one statement).
      auto f = space_facts(tx, caller, target.space_id, target.resource_id, with_resource ? &r : nullptr, &extras);
      if (!f.is_ok()) return f.status();
      facts = std::move(*f);
    }
    if (extras.session) {
      // Not read with the facts (no such space or resource, or the directory): alone.
      if (!extras.session_confirmed) {
        auto held = tx.query_one("SELECT (" + extras.session->sql + ")", extras.session->params);
        if (!held.is_ok()) return held.status();
        extras.session_confirmed = *held && (**held).integer(0) != 0;
      }
      if (!*extras.session_confirmed) {
        session_refused = true;
        return Status::ok();
      }
    }
    if (!located.is_ok()) return located;
    own = facts.is_holder;
    if (caller.actor.kind == ActorKind::kProfessional && !r.directory) {
      // Reference data (matrix, directory) cached here is checked against the version in the
      // database, which every change bumps: a change made through another instance, or by
      // the carnet tool, is seen by the next access.
      auto version = extras.reference_version_read ? Result<int64_t>(*extras.reference_version_read)
                                                    : store::reference_version(tx);
      if (!version.is_ok()) return version.status();
      Actor actor = caller.actor;
      bool stale = false;
      {
        // A profession complete() took from an older directory is read again.
        std::lock_guard lock(cache_mu_);
        auto it = professions_.find(actor.idnatps);
        stale = it != professions_.end() && it->second.second != *version;
        seen_version_ = *version;
      }
      if (stale) {
        auto p = load_profession(tx, actor.idnatps);
        if (!p.is_ok()) return p.status();
        actor.profession = *p;
        remember_profession(actor.idnatps, actor.profession, *version);
      }
      auto m = cached_matrix(tx, *version);
      if (!m.is_ok()) return m.status();
      d = decide(actor, action, facts, r, **m);
    } else {
      d = decide(caller.actor, action, facts, r, Matrix::national_default());
    }
    return Status::ok();
  });
  if (!s.is_ok()) return s;
  if (session_refused) {
    target.current.reset();
    return Status::unauthenticated("not signed in, or the session has expired");
  }
  if (!d.allowed) target.current.reset();  // data read with the facts leaves only when allowed
  // The holder's own reads are not access by someone else (a holder browsing the public
  // directory neither). Everything else leaves an event, denials included: in the space's
  // chain, or in the directory's for the directory.
  if (own || (target.resource.directory && caller.actor.kind == ActorKind::kHolder)) return d;
  AuditEvent e;
  e.space_id = target.resource.directory ? "directory" : target.space_id;
  if (caller.actor.kind == ActorKind::kRepresentative) e.on_behalf_of = target.space_id;
  e.actor_kind = std::string(actor_kind_name(caller.actor.kind));
  e.actor_id = caller.actor.kind == ActorKind::kProfessional ? caller.actor.idnatps : caller.actor.account_id;
  e.action = std::string(action_name(action));
  e.resource_type = target.resource.type;
  e.resource_id = target.resource_id;
  e.outcome = d.allowed ? "allowed" : "denied";
  e.reason = d.reason;
  e.client_address = caller.client_address;
  e.emergency = d.emergency;
  if (target.space_id.empty()) e.space_id = "-";
  CARNET_RETURN_IF_ERROR(audit_.record(std::move(e)));
  return d;
}

}  // namespace carnet::access
