#include "access/care.h"

#include <nlohmann/json.hpp>

#include "fhir/stored_json.h"
#include "access/facts.h"
#include "crypto/aead.h"
#include "crypto/random.h"
#include "fhir/resource_store.h"
#include "fhir/search_index.h"
#include "identity/contacts.h"
#include "identity/directory.h"
#include "identity/enrolment.h"
#include "identity/nir.h"
#include "identity/spaces.h"
#include "store/space_keys.h"

namespace carnet::access {
namespace {

const char kNoPatient[] = "no open health space matches this social security number and birth date";

bool valid_idnatps(std::string_view v) {
  return !v.empty() && v.size() <= 20 && v.find_first_not_of("0123456789") == std::string_view::npos;
}

AuditEvent event_for(const Caller& c, std::string_view space, std::string action, std::string outcome,
                     std::string reason) {
  AuditEvent e;
  e.space_id = std::string(space);
  e.actor_kind = std::string(actor_kind_name(c.actor.kind));
  e.actor_id = c.actor.kind == ActorKind::kProfessional ? c.actor.idnatps : c.actor.account_id;
  e.action = std::move(action);
  e.outcome = std::move(outcome);
  e.reason = std::move(reason);
  e.client_address = c.client_address;
  return e;
}

// Adds a relationship of `kind` from `since`, until `expires_at` (empty: no end). An identical
// one (same instant) is not added twice.
Status add_relationship(store::Transaction& tx, std::string_view space_id, std::string_view idnatps, const char* kind,
                        const std::string& since, const std::string& expires_at = {}) {
  return tx.exec("INSERT INTO care_relationships (space_id, idnatps, kind, since, expires_at) VALUES (?, ?, ?, ?, ?) "
                 "ON CONFLICT DO NOTHING",
                 {std::string(space_id), std::string(idnatps), std::string(kind), since,
                  expires_at.empty() ? store::Value(nullptr) : store::Value(expires_at)})
      .status();
}

}  // namespace

Care::Care(store::Store& store, const crypto::KeyRing& ring, const Clock& clock, AuditLog& audit, CareOptions options)
    : store_(store), ring_(ring), clock_(clock), audit_(audit), options_(options) {}

namespace {

Result<ProfessionalIdentity> read_professional(store::Transaction& tx, const crypto::KeyRing& ring, const Clock& clock,
                                               std::string_view idnatps) {
  fhir::ResourceStore resources(ring, clock);
  auto v = resources.read(tx, fhir::kDirectoryCompartment, "Practitioner", identity::practitioner_id(std::string(idnatps)));
  if (!v.is_ok()) {
    if (v.status().code() == ErrorCode::kNotFound || v.status().code() == ErrorCode::kGone) {
      return Status::not_found("no professional " + std::string(idnatps) + " in the directory");
    }
    return v.status();
  }
  auto parsed = fhir::parse_stored(v->json, "directory entry");
  if (!parsed.is_ok()) return parsed.status();
  const nlohmann::json& doc = *parsed;
  ProfessionalIdentity out;
  // The first of a list of strings, followed by a space; "" when there is none.
  auto first_word = [](const nlohmann::json& name, const char* key) {
    auto it = name.find(key);
    if (it == name.end() || !it->is_array() || it->empty() || !(*it)[0].is_string()) return std::string();
    return (*it)[0].get<std::string>() + " ";
  };
  auto names = doc.find("name");
  if (names != doc.end() && names->is_array() && !names->empty() && (*names)[0].is_object()) {
    const auto& name = (*names)[0];
    out.name = first_word(name, "prefix") + first_word(name, "given") + fhir::text_of(name, "family");
  }
  auto qualifications = doc.find("qualification");
  if (qualifications == doc.end() || !qualifications->is_array()) return out;
  for (const auto& q : *qualifications) {
    auto code = q.is_object() ? q.find("code") : q.end();
    if (code == q.end() || !code->is_object() || !code->contains("coding") || !(*code)["coding"].is_array()) continue;
    for (const auto& c : (*code)["coding"]) {
      if (out.profession.empty()) out.profession = fhir::text_of(c, "display");
    }
  }
  return out;
}

}  // namespace

Result<std::string> professional_name(store::Transaction& tx, const crypto::KeyRing& ring, const Clock& clock,
                                      std::string_view idnatps) {
  auto p = read_professional(tx, ring, clock, idnatps);
  if (!p.is_ok()) return p.status();
  return p->name;
}

Status Care::allowed(store::Transaction& tx, const Caller& c, Action action, std::string_view type,
                     std::string_view category, std::string_view space) const {
  SpaceFacts facts;
  if (!space.empty()) {
    FactsQuery q;
    q.space_id = std::string(space);
    q.now = format_instant(clock_.now());
    auto f = load_facts(tx, c, q);
    if (!f.is_ok()) return f.status();
    facts = std::move(f->space);
  }
  ResourceFacts r;
  r.type = std::string(type);
  r.category = std::string(category);
  Decision d = decide(c.actor, action, facts, r, Matrix::national_default());
  return d.allowed ? Status::ok() : Status::forbidden(d.reason);
}

Status Care::holder_may(const Caller& c, Action action, std::string_view category) const {
  return store_.transact(store::TxMode::kRead, [&](store::Transaction& tx) {
    return allowed(tx, c, action, kAccessControls, category, c.acting_space);
  });
}

Status Care::holder_action(store::Transaction& tx, const Caller& holder, std::string action, std::string detail) const {
  AuditEvent e = event_for(holder, holder.acting_space, std::move(action), "done", std::move(detail));
  e.by_holder = holder.actor.kind == ActorKind::kHolder;
  return audit_.record_in(tx, {std::move(e)});
}

Result<FoundPatient> Care::find_patient(const Caller& pro, std::string_view nir_text, std::string_view birth_date) {
  {
    ResourceFacts lookup;
    lookup.type = std::string(kPatientLookup);
    Decision d = decide(pro.actor, Action::kSearch, SpaceFacts{}, lookup, Matrix::national_default());
    if (!d.allowed) return Status::forbidden(d.reason);
  }
  auto nir = identity::parse_nir(nir_text);
  if (!nir.is_ok()) return nir.status();
  FoundPatient found;
  Status s = store_.transact(store::TxMode::kRead, [&](store::Transaction& tx) -> Status {
    found = {};
    auto row = tx.query_one("SELECT space_id, state, activated_at, identity FROM spaces WHERE ins_hash = ?",
                            {store::Blob{identity::ins_lookup_hash(ring_, nir->value)}});
    if (!row.is_ok()) return row.status();
    if (!*row || (*row)->is_null(3)) return Status::ok();
    std::string space = (*row)->text(0), state = (*row)->text(1);
    if (state != "open" && (*row)->is_null(2)) return Status::ok();
    auto key = store::SpaceKeys(ring_).get(tx, space);
    if (!key.is_ok()) return Status::ok();
    auto plain = crypto::open(*key, (*row)->text(3), "carnet.space-identity.v1:" + space);
    if (!plain.is_ok()) return plain.status();
    auto parsed = fhir::parse_stored(*plain, "space identity");
    if (!parsed.is_ok()) return parsed.status();
    const nlohmann::json& person = *parsed;
    if (fhir::text_of(person, "birth_date") != birth_date) return Status::ok();
    std::string first_names;
    for (const auto& n : person.value("first_names", nlohmann::json::array())) {
      if (n.is_string()) first_names += (first_names.empty() ? "" : " ") + n.get<std::string>();
    }
    found = {space, fhir::text_of(person, "birth_name"), first_names, fhir::text_of(person, "birth_date"), fhir::text_of(person, "sex")};
    return Status::ok();
  });
  if (!s.is_ok()) return s;
  if (found.space_id.empty()) return Status::not_found(kNoPatient);
  CARNET_RETURN_IF_ERROR(audit_.record(event_for(pro, found.space_id, "find-patient", "allowed", "INS look-up")));
  return found;
}

Status Care::declare_care_team(const Caller& pro, std::string_view space_id) {
  std::string now = format_instant(clock_.now());
  std::string refusal;
  Status s = store_.transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
    refusal.clear();
    Status may = allowed(tx, pro, Action::kCreate, kCareRelationship, "care_team", space_id);
    if (!may.is_ok()) {
      if (may.code() != ErrorCode::kForbidden) return may;
      refusal = may.message();
      return audit_.record_in(tx, {event_for(pro, space_id, "declare-care-team", "denied", refusal)});
    }
    auto existing = tx.query_one(
        "SELECT 1 FROM care_relationships WHERE space_id = ? AND idnatps = ? AND kind = 'care_team' AND removed_at IS NULL",
        {std::string(space_id), pro.actor.idnatps});
    if (!existing.is_ok()) return existing.status();
    if (*existing) return Status::ok();
    // A removal by the holder stands until the holder lets the professional back: a consent
    // (their consultation code, or from their space) or a designation given since.
    auto removed = tx.query_one(
        "SELECT 1 FROM care_relationships r WHERE r.space_id = ? AND r.idnatps = ? AND r.kind = 'care_team' "
        "AND r.removed_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM care_relationships b WHERE b.space_id = r.space_id "
        "AND b.idnatps = r.idnatps AND b.kind IN ('consent', 'designated') AND b.since >= r.removed_at)",
        {std::string(space_id), pro.actor.idnatps});
    if (!removed.is_ok()) return removed.status();
    if (*removed) {
      refusal = "the holder removed you from their care team; they can let you back (a consultation code, or from their space)";
      return audit_.record_in(tx, {event_for(pro, space_id, "declare-care-team", "denied", refusal)});
    }
    CARNET_RETURN_IF_ERROR(add_relationship(tx, space_id, pro.actor.idnatps, "care_team", now));
    auto name = professional_name(tx, ring_, clock_, pro.actor.idnatps);
    if (!name.is_ok()) return name.status();
    CARNET_RETURN_IF_ERROR(identity::notify_holder(tx, ring_, space_id, "first_access", "care_team_declared",
                                                   {{"professional", *name}, {"date", now.substr(0, 10)}}, now));
    return audit_.record_in(tx, {event_for(pro, space_id, "declare-care-team", "allowed", "presumed consent, holder notified")});
  });
  if (!s.is_ok()) return s;
  if (!refusal.empty()) return Status::forbidden(refusal);
  return Status::ok();
}

Status Care::emergency(const Caller& pro, std::string_view space_id, std::string_view reason) {
  if (reason.size() < 10 || reason.size() > 500) return Status::invalid("state the reason of the emergency (10 to 500 characters)");
  std::string now = format_instant(clock_.now());
  std::string until = format_instant(clock_.now() + options_.emergency_duration);
  std::string refusal;
  Status s = store_.transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
    refusal.clear();
    Status may = allowed(tx, pro, Action::kCreate, kCareRelationship, "emergency", space_id);
    if (!may.is_ok() && may.code() != ErrorCode::kForbidden) return may;
    if (!may.is_ok()) refusal = may.message();
    AuditEvent e = event_for(pro, space_id, "emergency-access", refusal.empty() ? "allowed" : "denied",
                             std::string(reason));
    e.emergency = true;
    if (!refusal.empty()) return audit_.record_in(tx, {std::move(e)});
    CARNET_RETURN_IF_ERROR(add_relationship(tx, space_id, pro.actor.idnatps, "emergency", now, until));
    auto name = professional_name(tx, ring_, clock_, pro.actor.idnatps);
    if (!name.is_ok()) return name.status();
    CARNET_RETURN_IF_ERROR(identity::notify_holder(tx, ring_, space_id, "emergency", "emergency_access",
                                                   {{"professional", *name}, {"date", now.substr(0, 10)}}, now));
    return audit_.record_in(tx, {std::move(e)});
  });
  if (!s.is_ok()) return s;
  if (!refusal.empty()) return Status::forbidden(refusal);
  return Status::ok();
}

Status Care::designate_physician(const Caller& holder, std::string_view idnatps) {
  CARNET_RETURN_IF_ERROR(holder_may(holder, Action::kUpdate));
  if (!valid_idnatps(idnatps)) return Status::invalid("an RPPS number (IdNatPs) is expected");
  std::string now = format_instant(clock_.now());
  return store_.transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
    auto name = professional_name(tx, ring_, clock_, idnatps);
    if (!name.is_ok()) return name.status();
    auto end = tx.exec("UPDATE care_relationships SET removed_at = ? WHERE space_id = ? AND kind = 'designated' AND removed_at IS NULL",
                       {now, holder.acting_space});
    if (!end.is_ok()) return end.status();
    CARNET_RETURN_IF_ERROR(add_relationship(tx, holder.acting_space, idnatps, "designated", now));
    return holder_action(tx, holder, "designate-physician", std::string(idnatps));
  });
}

Status Care::grant_consent(const Caller& holder, std::string_view idnatps) {
  CARNET_RETURN_IF_ERROR(holder_may(holder, Action::kUpdate));
  if (!valid_idnatps(idnatps)) return Status::invalid("an RPPS number (IdNatPs) is expected");
  std::string now = format_instant(clock_.now());
  std::string until = format_instant(clock_.now() + options_.consent_duration);
  return store_.transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
    auto name = professional_name(tx, ring_, clock_, idnatps);
    if (!name.is_ok()) return name.status();
    CARNET_RETURN_IF_ERROR(add_relationship(tx, holder.acting_space, idnatps, "consent", now, until));
    return holder_action(tx, holder, "grant-consent", std::string(idnatps));
  });
}

Result<std::string> Care::consultation_code(const Caller& holder) {
  CARNET_RETURN_IF_ERROR(holder_may(holder, Action::kUpdate, "holder-only"));
  std::string code = crypto::random_string(6, "0123456789");
  std::string now = format_instant(clock_.now());
  std::string until = format_instant(clock_.now() + std::chrono::minutes(10));
  Status s = store_.transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
    auto up = tx.exec(
        "INSERT INTO consultation_codes (space_id, code_hash, expires_at, failures) VALUES (?, ?, ?, 0) "
        "ON CONFLICT (space_id) DO UPDATE SET code_hash = excluded.code_hash, expires_at = excluded.expires_at, failures = 0",
        {holder.acting_space, store::Blob{ring_.lookup_hash("consultation-code", holder.acting_space + ":" + code)}, until});
    if (!up.is_ok()) return up.status();
    return holder_action(tx, holder, "consultation-code", "valid until " + until);
  });
  if (!s.is_ok()) return s;
  return code;
}

Status Care::consent_with_code(const Caller& pro, std::string_view space_id, std::string_view code) {
  std::string now = format_instant(clock_.now());
  std::string until = format_instant(clock_.now() + options_.consent_duration);
  std::string refusal;
  Status s = store_.transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
    refusal.clear();
    Status may = allowed(tx, pro, Action::kCreate, kCareRelationship, "consent", space_id);
    if (!may.is_ok()) {
      if (may.code() != ErrorCode::kForbidden) return may;
      refusal = may.message();
      return audit_.record_in(tx, {event_for(pro, space_id, "consent-with-code", "denied", refusal)});
    }
    auto row = tx.query_one("SELECT code_hash, expires_at, failures FROM consultation_codes WHERE space_id = ?",
                            {std::string(space_id)});
    if (!row.is_ok()) return row.status();
    std::string hash = ring_.lookup_hash("consultation-code", std::string(space_id) + ":" + std::string(code));
    bool valid = *row && (*row)->text(1) > now && (*row)->integer(2) < 5 &&
                 crypto::constant_time_equal((*row)->text(0), hash);
    if (!valid) {
      refusal = "this consultation code is wrong or expired; ask the patient for a new one";
      if (*row) {
        auto f = tx.exec("UPDATE consultation_codes SET failures = failures + 1 WHERE space_id = ?", {std::string(space_id)});
        if (!f.is_ok()) return f.status();
      }
      return audit_.record_in(tx, {event_for(pro, space_id, "consent-with-code", "denied", refusal)});
    }
    auto del = tx.exec("DELETE FROM consultation_codes WHERE space_id = ?", {std::string(space_id)});
    if (!del.is_ok()) return del.status();
    CARNET_RETURN_IF_ERROR(add_relationship(tx, space_id, pro.actor.idnatps, "consent", now, until));
    return audit_.record_in(tx, {event_for(pro, space_id, "consent-with-code", "allowed", "code read out by the holder")});
  });
  if (!s.is_ok()) return s;
  if (!refusal.empty()) return Status::forbidden(refusal);
  return Status::ok();
}

Status Care::remove_relationship(const Caller& holder, std::string_view idnatps) {
  CARNET_RETURN_IF_ERROR(holder_may(holder, Action::kUpdate));
  std::string now = format_instant(clock_.now());
  return store_.transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
    auto n = tx.exec("UPDATE care_relationships SET removed_at = ? WHERE space_id = ? AND idnatps = ? AND removed_at IS NULL",
                     {now, holder.acting_space, std::string(idnatps)});
    if (!n.is_ok()) return n.status();
    if (*n == 0) return Status::not_found("this professional has no access to your space");
    return holder_action(tx, holder, "remove-relationship", std::string(idnatps));
  });
}

Status Care::block(const Caller& holder, std::string_view idnatps, bool emergency_allowed) {
  CARNET_RETURN_IF_ERROR(holder_may(holder, Action::kUpdate));
  if (!valid_idnatps(idnatps)) return Status::invalid("an RPPS number (IdNatPs) is expected");
  std::string now = format_instant(clock_.now());
  return store_.transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
    auto ins = tx.exec(
        "INSERT INTO blocked_professionals (space_id, idnatps, since, emergency_allowed) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (space_id, idnatps) DO UPDATE SET emergency_allowed = excluded.emergency_allowed",
        {holder.acting_space, std::string(idnatps), now, int64_t{emergency_allowed}});
    if (!ins.is_ok()) return ins.status();
    return holder_action(tx, holder, "block", std::string(idnatps) + (emergency_allowed ? " (emergency allowed)" : ""));
  });
}

Status Care::unblock(const Caller& holder, std::string_view idnatps) {
  CARNET_RETURN_IF_ERROR(holder_may(holder, Action::kUpdate));
  return store_.transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
    auto n = tx.exec("DELETE FROM blocked_professionals WHERE space_id = ? AND idnatps = ?",
                     {holder.acting_space, std::string(idnatps)});
    if (!n.is_ok()) return n.status();
    if (*n == 0) return Status::not_found("this professional is not blocked");
    return holder_action(tx, holder, "unblock", std::string(idnatps));
  });
}

Status Care::set_hidden(const Caller& holder, std::string_view type, std::string_view id, bool from_professionals,
                        bool from_representatives) {
  CARNET_RETURN_IF_ERROR(holder_may(holder, Action::kUpdate, from_representatives ? "holder-only" : ""));
  return store_.transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
    auto exists = tx.query_one(
        "SELECT 1 FROM resources WHERE compartment = ? AND resource_type = ? AND resource_id = ? AND deleted = 0",
        {holder.acting_space, std::string(type), std::string(id)});
    if (!exists.is_ok()) return exists.status();
    if (!*exists) return Status::not_found(std::string(type) + "/" + std::string(id) + " does not exist");
    auto up = tx.exec(
        "INSERT INTO resource_access (compartment, resource_type, resource_id, hidden_from_professionals, "
        "hidden_from_representatives) VALUES (?, ?, ?, ?, ?) ON CONFLICT (compartment, resource_type, resource_id) DO UPDATE "
        "SET hidden_from_professionals = excluded.hidden_from_professionals, "
        "hidden_from_representatives = excluded.hidden_from_representatives",
        {holder.acting_space, std::string(type), std::string(id), int64_t{from_professionals}, int64_t{from_representatives}});
    if (!up.is_ok()) return up.status();
    // A document's bytes (its Binaries) follow it.
    if (type == "DocumentReference") {
      fhir::ResourceStore resources(ring_, clock_);
      auto doc = resources.read(tx, holder.acting_space, "DocumentReference", id);
      if (!doc.is_ok()) return doc.status();
      for (const auto& b : fhir::attachment_binaries(nlohmann::json::parse(doc->json, nullptr, false))) {
        CARNET_RETURN_IF_ERROR(tx.exec("UPDATE resource_access SET hidden_from_professionals = ?, hidden_from_representatives = ? "
                                       "WHERE compartment = ? AND resource_type = 'Binary' AND resource_id = ?",
                                       {int64_t{from_professionals}, int64_t{from_representatives}, holder.acting_space, b})
                                   .status());
      }
    }
    return holder_action(tx, holder, from_professionals || from_representatives ? "hide" : "unhide",
                         std::string(type) + "/" + std::string(id));
  });
}

Status Care::forbid_emergency(const Caller& holder, bool forbidden) {
  CARNET_RETURN_IF_ERROR(holder_may(holder, Action::kUpdate));
  return store_.transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
    auto up = tx.exec(
        "INSERT INTO space_access_settings (space_id, emergency_forbidden) VALUES (?, ?) "
        "ON CONFLICT (space_id) DO UPDATE SET emergency_forbidden = excluded.emergency_forbidden",
        {holder.acting_space, int64_t{forbidden}});
    if (!up.is_ok()) return up.status();
    return holder_action(tx, holder, forbidden ? "forbid-emergency" : "allow-emergency", "");
  });
}

Status Care::set_notification(const Caller& holder, std::string_view kind, std::string_view channel) {
  CARNET_RETURN_IF_ERROR(holder_may(holder, Action::kUpdate, "holder-only"));
  if (kind != "first_access" && kind != "emergency" && kind != "new_document") {
    return Status::invalid("kinds: first_access, emergency, new_document");
  }
  if (channel != "email" && channel != "sms" && channel != "none") return Status::invalid("channels: email, sms, none");
  return store_.transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
    auto up = tx.exec(
        "INSERT INTO notification_prefs (space_id, kind, channel) VALUES (?, ?, ?) "
        "ON CONFLICT (space_id, kind) DO UPDATE SET channel = excluded.channel",
        {holder.acting_space, std::string(kind), std::string(channel)});
    if (!up.is_ok()) return up.status();
    return holder_action(tx, holder, "notification-setting", std::string(kind) + "=" + std::string(channel));
  });
}

Result<std::map<std::string, std::string>> Care::notifications(const Caller& holder) {
  CARNET_RETURN_IF_ERROR(holder_may(holder, Action::kRead, "holder-only"));
  std::map<std::string, std::string> out = {{"first_access", "default"}, {"emergency", "default"}, {"new_document", "default"}};
  Status s = store_.transact(store::TxMode::kRead, [&](store::Transaction& tx) {
    return tx.query_each("SELECT kind, channel FROM notification_prefs WHERE space_id = ?", {holder.acting_space},
                         [&](const store::Row& r) {
                           out[r.text(0)] = r.text(1);
                           return Status::ok();
                         });
  });
  if (!s.is_ok()) return s;
  return out;
}

Status Care::delegate(const Caller& holder, std::string_view login_text, std::string_view rights) {
  CARNET_RETURN_IF_ERROR(holder_may(holder, Action::kUpdate, "holder-only"));
  if (rights != "read" && rights != "write") return Status::invalid("rights: read or write");
  auto login = identity::normalize_email(login_text);
  if (!login.is_ok()) return login.status();
  std::string now = format_instant(clock_.now());
  return store_.transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
    auto account = tx.query_one("SELECT space_id FROM accounts WHERE login_hash = ? AND kind = 'holder' AND disabled = 0",
                                {store::Blob{ring_.lookup_hash("login", *login)}});
    if (!account.is_ok()) return account.status();
    if (!*account || (*account)->is_null(0)) return Status::not_found("no Carnet account with this e-mail address");
    std::string delegate = (*account)->text(0);
    if (delegate == holder.acting_space) return Status::invalid("you cannot delegate to yourself");
    auto up = tx.exec(
        "INSERT INTO delegations (space_id, delegate_space_id, rights, since) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (space_id, delegate_space_id) DO UPDATE SET rights = excluded.rights, since = excluded.since, "
        "revoked_at = NULL",
        {holder.acting_space, delegate, std::string(rights), now});
    if (!up.is_ok()) return up.status();
    return holder_action(tx, holder, "delegate", delegate + " (" + std::string(rights) + ")");
  });
}

Status Care::revoke_delegation(const Caller& holder, std::string_view delegate_space_id) {
  CARNET_RETURN_IF_ERROR(holder_may(holder, Action::kUpdate, "holder-only"));
  std::string now = format_instant(clock_.now());
  return store_.transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
    auto n = tx.exec("UPDATE delegations SET revoked_at = ? WHERE space_id = ? AND delegate_space_id = ? AND revoked_at IS NULL",
                     {now, holder.acting_space, std::string(delegate_space_id)});
    if (!n.is_ok()) return n.status();
    if (*n == 0) return Status::not_found("no such delegation");
    return holder_action(tx, holder, "revoke-delegation", std::string(delegate_space_id));
  });
}

Result<std::vector<Care::Delegation>> Care::delegations(const Caller& holder) {
  CARNET_RETURN_IF_ERROR(holder_may(holder, Action::kRead, "holder-only"));
  std::vector<Delegation> out;
  Status s = store_.transact(store::TxMode::kRead, [&](store::Transaction& tx) {
    out.clear();
    return tx.query_each(
        "SELECT delegate_space_id, rights, since FROM delegations WHERE space_id = ? AND revoked_at IS NULL ORDER BY since",
        {holder.acting_space}, [&](const store::Row& r) {
          out.push_back({r.text(0), r.text(1), r.text(2)});
          return Status::ok();
        });
  });
  if (!s.is_ok()) return s;
  return out;
}

Result<std::vector<Relationship>> Care::relationships(const Caller& holder) {
  CARNET_RETURN_IF_ERROR(holder_may(holder, Action::kRead));
  std::vector<Relationship> out;
  std::string now = format_instant(clock_.now());
  Status s = store_.transact(store::TxMode::kRead, [&](store::Transaction& tx) {
    out.clear();
    return tx.query_each(
        "SELECT idnatps, kind, since, expires_at FROM care_relationships WHERE space_id = ? AND removed_at IS NULL "
        "AND (expires_at IS NULL OR expires_at > ?) ORDER BY since",
        {holder.acting_space, now}, [&](const store::Row& r) {
          out.push_back({r.text(0), r.text(1), r.text(2), r.text(3)});
          return Status::ok();
        });
  });
  if (!s.is_ok()) return s;
  return out;
}

Result<std::vector<Care::Block>> Care::blocks(const Caller& holder) {
  CARNET_RETURN_IF_ERROR(holder_may(holder, Action::kRead));
  std::vector<Block> out;
  Status s = store_.transact(store::TxMode::kRead, [&](store::Transaction& tx) {
    out.clear();
    return tx.query_each("SELECT idnatps, since, emergency_allowed FROM blocked_professionals WHERE space_id = ? ORDER BY since",
                         {holder.acting_space}, [&](const store::Row& r) {
                           out.push_back({r.text(0), r.text(1), r.integer(2) != 0});
                           return Status::ok();
                         });
  });
  if (!s.is_ok()) return s;
  return out;
}

Result<bool> Care::emergency_forbidden(const Caller& holder) {
  CARNET_RETURN_IF_ERROR(holder_may(holder, Action::kRead));
  bool forbidden = false;
  Status s = store_.transact(store::TxMode::kRead, [&](store::Transaction& tx) -> Status {
    auto row = tx.query_one("SELECT emergency_forbidden FROM space_access_settings WHERE space_id = ?", {holder.acting_space});
    if (!row.is_ok()) return row.status();
    forbidden = *row && (*row)->integer(0) != 0;
    return Status::ok();
  });
  if (!s.is_ok()) return s;
  return forbidden;
}

Result<std::vector<Care::Hidden>> Care::hidden(const Caller& holder) {
  CARNET_RETURN_IF_ERROR(holder_may(holder, Action::kRead));
  std::vector<Hidden> out;
  Status s = store_.transact(store::TxMode::kRead, [&](store::Transaction& tx) {
    out.clear();
    return tx.query_each(
        "SELECT resource_type, resource_id, hidden_from_professionals, hidden_from_representatives FROM resource_access "
        "WHERE compartment = ? AND resource_type <> 'Binary' "
        "AND (hidden_from_professionals <> 0 OR hidden_from_representatives <> 0) ORDER BY resource_type, resource_id",
        {holder.acting_space}, [&](const store::Row& r) {
          out.push_back({r.text(0), r.text(1), r.integer(2) != 0, r.integer(3) != 0});
          return Status::ok();
        });
  });
  if (!s.is_ok()) return s;
  return out;
}

Result<std::map<std::string, ProfessionalIdentity>> Care::professionals(const std::vector<std::string>& idnatps) {
  std::map<std::string, ProfessionalIdentity> out;
  Status s = store_.transact(store::TxMode::kRead, [&](store::Transaction& tx) -> Status {
    out.clear();
    for (const auto& id : idnatps) {
      if (out.count(id) || !valid_idnatps(id)) continue;
      auto p = read_professional(tx, ring_, clock_, id);
      if (p.is_ok()) {
        out[id] = *p;
      } else if (p.status().code() == ErrorCode::kNotFound) {
        out[id] = {};
      } else {
        return p.status();
      }
    }
    return Status::ok();
  });
  if (!s.is_ok()) return s;
  return out;
}

Result<std::vector<AuditEvent>> Care::history(const Caller& holder, bool by_holder, int64_t before_seq) {
  std::vector<AuditEvent> out;
  Status s = store_.transact(store::TxMode::kRead, [&](store::Transaction& tx) -> Status {
    CARNET_RETURN_IF_ERROR(allowed(tx, holder, Action::kRead, kAuditTrail, "", holder.acting_space));
    auto list = audit_.list(tx, holder.acting_space, by_holder, before_seq, 50);
    if (!list.is_ok()) return list.status();
    out = std::move(*list);
    return Status::ok();
  });
  if (!s.is_ok()) return s;
  return out;
}

}  // namespace carnet::access
