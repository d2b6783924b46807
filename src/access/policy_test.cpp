// The authorization matrix (issue: access policy): every kind of actor × every resource type
// × read/search/create/update/delete × hidden or not, through the real Repository on a real
// store, each case checked against the rules as stated, and each non-holder case checked to
// leave exactly one audit event; then every read by id against the same search.
#include "access/repository.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include "core/manual_clock_for_testing.h"
#include "core/temp_dir_for_testing.h"
#include "crypto/random.h"
#include "fhir/search.h"
#include "identity/directory.h"
#include "store/space_keys.h"

namespace carnet::access {
namespace {

const char* const kTypes[] = {"Patient", "Practitioner", "PractitionerRole", "Organization", "DocumentReference",
                              "Binary", "AllergyIntolerance", "Condition", "Immunization", "MedicationStatement",
                              "Observation", "Appointment", "Communication", "MedicationRequest",
                              "MedicationDispense", "Consent", "AuditEvent"};
const Action kActions[] = {Action::kRead, Action::kSearch, Action::kCreate, Action::kUpdate, Action::kDelete};

bool is_directory(std::string_view t) { return t == "Practitioner" || t == "PractitionerRole" || t == "Organization"; }

// Documents carry their own category; the test's documents are reports.
bool is_document(std::string_view t) { return t == "DocumentReference" || t == "Binary"; }
std::string category_of(std::string_view t) { return is_document(t) ? "reports" : std::string(type_category(t)); }

enum class Who {
  kHolder, kRepresentative, kDesignatedPhysician, kCareTeamNurse, kPharmacist, kUnrelatedProfessional,
  kBlockedProfessional, kWithConsent, kConsentExpired, kEmergency, kEmergencyExpired, kOperator, kAnonymous,
  kOtherHolder
};
const Who kEveryone[] = {Who::kHolder, Who::kRepresentative, Who::kDesignatedPhysician, Who::kCareTeamNurse,
                         Who::kPharmacist, Who::kUnrelatedProfessional, Who::kBlockedProfessional, Who::kWithConsent,
                         Who::kConsentExpired, Who::kEmergency, Who::kEmergencyExpired, Who::kOperator,
                         Who::kAnonymous, Who::kOtherHolder};

bool writes(Action a) { return a == Action::kCreate || a == Action::kUpdate || a == Action::kDelete; }

// The rules of the issue, written out case by case.
bool expected(Who who, std::string_view type, Action a, bool hidden, const Matrix& m) {
  if (who == Who::kAnonymous) return false;
  if (is_directory(type)) return !writes(a);
  if (who == Who::kOperator || who == Who::kOtherHolder) return false;
  if (type == "AuditEvent" && writes(a)) return false;
  if (who == Who::kHolder) return true;
  if (who == Who::kRepresentative) return writes(a) || !hidden;
  // Professionals.
  std::string profession = who == Who::kCareTeamNurse ? "60" : who == Who::kPharmacist ? "21" : "10";
  bool related = who == Who::kDesignatedPhysician || who == Who::kCareTeamNurse || who == Who::kPharmacist ||
                 who == Who::kWithConsent || who == Who::kEmergency;
  if (!related) return false;
  if (type == "Consent" || type == "AuditEvent") return false;
  if (type == "Patient") return !writes(a);
  if (a == Action::kCreate) return true;
  if (a == Action::kUpdate || a == Action::kDelete) return false;  // not the author
  if (type == "Communication") return a == Action::kSearch;         // searched among their own messages only
  // A search is decided by type (documents: filtered one by one in the search itself).
  if (a == Action::kSearch) return is_document(type) || m.allows(profession, category_of(type));
  if (hidden && who != Who::kDesignatedPhysician) return false;
  return m.allows(profession, category_of(type));
}

// A valid R4 resource of each type, in space-a (so that an allowed create or update is
// stored, and its event with it).
nlohmann::json sample(std::string_view type, std::string_view id = {}) {
  using nlohmann::json;
  const json patient = {{"reference", "Patient/space-a"}};
  const json concept_ = {{"text", "x"}};
  json r = {{"resourceType", type}};
  if (type == "DocumentReference") {
    r["status"] = "current";
    r["content"] = json::array({{{"attachment", {{"contentType", "text/plain"}, {"url", "Binary/b"}}}}});
  } else if (type == "Binary") {
    r["contentType"] = "text/plain";
  } else if (type == "List") {
    r["status"] = "current";
    r["mode"] = "working";
  } else if (type == "AllergyIntolerance") {
    r["patient"] = patient;
  } else if (type == "Condition") {
    r["subject"] = patient;
  } else if (type == "Immunization") {
    r.update({{"status", "completed"}, {"vaccineCode", concept_}, {"patient", patient}, {"occurrenceDateTime", "2024-01-02"}});
  } else if (type == "MedicationStatement") {
    r.update({{"status", "active"}, {"medicationCodeableConcept", concept_}, {"subject", patient}});
  } else if (type == "Observation") {
    r.update({{"status", "final"}, {"code", concept_}});
  } else if (type == "Appointment") {
    r.update({{"status", "booked"}, {"participant", json::array({{{"status", "accepted"}, {"actor", patient}}})}});
  } else if (type == "Communication") {
    r["status"] = "completed";
  } else if (type == "MedicationRequest") {
    r.update({{"status", "active"}, {"intent", "order"}, {"medicationCodeableConcept", concept_}, {"subject", patient}});
  } else if (type == "MedicationDispense") {
    r.update({{"status", "completed"}, {"medicationCodeableConcept", concept_}});
  } else if (type == "Consent") {
    r.update({{"status", "active"}, {"scope", concept_}, {"category", json::array({concept_})}, {"patient", patient}});
  } else if (type == "AuditEvent") {
    r.update({{"type", {{"code", "x"}}}, {"recorded", "2024-01-02T00:00:00Z"},
              {"agent", json::array({{{"requestor", true}}})}, {"source", {{"observer", {{"display", "x"}}}}}});
  }
  if (!id.empty()) r["id"] = id;
  return r;
}

// Through the real Repository on a real store: each case is decided, audited and acted on as
// a request would be.
class AccessMatrix : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::open_sqlite({dir_.file("carnet.db")});
    ASSERT_TRUE(s.is_ok()) << s.status().message();
    store_ = std::move(*s);
    audit_ = std::make_unique<AuditLog>(*store_, ring_, clock_);
    reference_ = std::make_unique<ReferenceData>(ring_, clock_);
    repositories_ = std::make_unique<Repositories>(*store_, ring_, clock_, *audit_, *reference_, hooks_);
    ASSERT_TRUE(store_->transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
      for (const char* id : {"space-a", "space-b"}) {
        auto r = tx.exec("INSERT INTO spaces (space_id, ins_hash, state, enrolled_at, opposition_deadline, activated_at, "
                         "state_changed_at) VALUES (?, ?, 'open', ?, ?, ?, ?)",
                         {std::string(id), store::Blob{crypto::random_token(16)}, now(), now(), now(), now()});
        if (!r.is_ok()) return r.status();
        CARNET_RETURN_IF_ERROR(store::SpaceKeys(ring_).create(tx, id, now()).status());
      }
      auto rel = [&](const char* idnatps, const char* kind, std::optional<std::string> expires) {
        return tx.exec("INSERT INTO care_relationships (space_id, idnatps, kind, since, expires_at) VALUES ('space-a', ?, ?, ?, ?)",
                       {std::string(idnatps), std::string(kind), now(),
                        expires ? store::Value(*expires) : store::Value(nullptr)});
      };
      for (auto r : {rel("100", "designated", {}), rel("600", "care_team", {}), rel("210", "care_team", {}),
                     rel("700", "care_team", {}), rel("800", "consent", "2099-01-01T00:00:00.000Z"),
                     rel("801", "consent", "2020-01-01T00:00:00.000Z"), rel("900", "emergency", "2099-01-01T00:00:00.000Z"),
                     rel("901", "emergency", "2020-01-01T00:00:00.000Z")}) {
        if (!r.is_ok()) return r.status();
      }
      auto b = tx.exec("INSERT INTO blocked_professionals (space_id, idnatps, since) VALUES ('space-a', '700', ?)", {now()});
      if (!b.is_ok()) return b.status();
      // The professionals, in the directory (their profession decides what they may see).
      for (auto [idnatps, profession] : {std::pair{"100", "10"}, {"600", "60"}, {"210", "21"}, {"500", "10"}, {"700", "10"},
                                         {"800", "10"}, {"801", "10"}, {"900", "10"}, {"901", "10"}}) {
        nlohmann::json p = {{"resourceType", "Practitioner"},
                            {"qualification", {{{"code", {{"coding", {{{"code", profession}}}}}}}}}};
        CARNET_RETURN_IF_ERROR(resources_.create(tx, fhir::kDirectoryCompartment, "Practitioner", p.dump(),
                                                 identity::practitioner_id(idnatps)).status());
      }
      // Each type has a visible and a hidden resource; documents are reports.
      for (const char* t : kTypes) {
        std::string compartment = is_directory(t) ? std::string(fhir::kDirectoryCompartment) : "space-a";
        for (const char* id : {"visible", "hidden"}) {
          CARNET_RETURN_IF_ERROR(resources_.create(tx, compartment, t, sample(t).dump(), id).status());
        }
        store::Value category = is_document(t) ? store::Value(std::string("reports")) : store::Value(nullptr);
        auto h = tx.exec("INSERT INTO resource_access (compartment, resource_type, resource_id, hidden_from_professionals, "
                         "hidden_from_representatives, category) VALUES ('space-a', ?, 'hidden', 1, 1, ?)",
                         {std::string(t), category});
        if (!h.is_ok()) return h.status();
        if (!is_document(t)) continue;
        auto v = tx.exec("INSERT INTO resource_access (compartment, resource_type, resource_id, category) "
                         "VALUES ('space-a', ?, 'visible', 'reports')",
                         {std::string(t)});
        if (!v.is_ok()) return v.status();
      }
      return Status::ok();
    }).is_ok());
  }
  std::string now() const { return format_instant(clock_.now()); }

  Caller caller(Who who) const {
    Caller c;
    c.client_address = "192.0.2.7";
    auto pro = [&](const char* idnatps) { c.actor = {ActorKind::kProfessional, std::string("acct-") + idnatps, idnatps, ""}; };
    switch (who) {
      case Who::kHolder: c.actor = {ActorKind::kHolder, "acct-holder", "", ""}; c.own_space = c.acting_space = "space-a"; break;
      case Who::kRepresentative: c.actor = {ActorKind::kRepresentative, "acct-parent", "", ""}; c.own_space = "space-p"; c.acting_space = "space-a"; break;
      case Who::kDesignatedPhysician: pro("100"); break;
      case Who::kCareTeamNurse: pro("600"); break;
      case Who::kPharmacist: pro("210"); break;
      case Who::kUnrelatedProfessional: pro("500"); break;
      case Who::kBlockedProfessional: pro("700"); break;
      case Who::kWithConsent: pro("800"); break;
      case Who::kConsentExpired: pro("801"); break;
      case Who::kEmergency: pro("900"); break;
      case Who::kEmergencyExpired: pro("901"); break;
      case Who::kOperator: c.actor = {ActorKind::kOperator, "acct-op", "", ""}; break;
      case Who::kAnonymous: c.actor = {ActorKind::kAnonymous, "", "", ""}; break;
      case Who::kOtherHolder: c.actor = {ActorKind::kHolder, "acct-b", "", ""}; c.own_space = c.acting_space = "space-b"; break;
    }
    return c;
  }
  int64_t events() {
    int64_t n = 0;
    EXPECT_TRUE(store_->transact(store::TxMode::kRead, [&](store::Transaction& tx) -> Status {
      auto r = tx.query_one("SELECT COUNT(*) FROM audit_events");
      if (!r.is_ok()) return r.status();
      n = (*r)->integer(0);
      return Status::ok();
    }).is_ok());
    return n;
  }

  // One interaction by `who`, as a request makes it; its outcome.
  Status act(Who who, std::string_view type, Action a, const std::string& id) {
    Caller c = caller(who);
    store::TxMode mode = a == Action::kRead || a == Action::kSearch ? store::TxMode::kRead : store::TxMode::kWrite;
    return repositories_->run(c, mode, [&](Repository& repo) -> Status {
      switch (a) {
        case Action::kRead: return repo.read(type, id).status();
        case Action::kSearch: {
          fhir::SearchQuery q;
          q.type = std::string(type);
          return repo.search(q, "Patient/space-a").status();
        }
        case Action::kCreate: {
          Repository::WriteOptions o;
          o.patient = "Patient/space-a";
          return repo.create(type, sample(type), o).status();
        }
        case Action::kUpdate: return repo.update(type, id, sample(type, id), {}).status();
        case Action::kDelete: return repo.remove(type, id).status();
      }
      return Status::internal("no such action");
    });
  }

  // Puts back a resource a case changed or deleted.
  void restore(std::string_view type, const std::string& id) {
    std::string compartment = is_directory(type) ? std::string(fhir::kDirectoryCompartment) : "space-a";
    ASSERT_TRUE(store_->transact(store::TxMode::kWrite, [&](store::Transaction& tx) {
      return resources_.update(tx, compartment, type, id, sample(type, id).dump()).status();
    }).is_ok());
  }

  // Is `id` found by a search of its type by `who` (false when the search is refused)?
  bool found_by_search(Who who, std::string_view type, const std::string& id) {
    bool found = false;
    Status s = repositories_->run(caller(who), store::TxMode::kRead, [&](Repository& repo) -> Status {
      auto q = fhir::parse_search(type, {{"_id", id}}, true);
      if (!q.is_ok()) return q.status();
      auto r = repo.search(*q, "Patient/space-a");
      if (!r.is_ok()) return r.status();
      for (const auto& v : r->matches) found = found || v.id == id;
      return Status::ok();
    });
    return s.is_ok() && found;
  }

  // The holder of space-b acts in their own space: naming space-a's resources by id reads,
  // finds, changes and deletes nothing of space-a (and, acting in their own space, is not
  // audited).
  void other_holder_case(std::string_view type, Action a, const std::string& id) {
    std::string label = std::string(type) + " " + std::string(action_name(a)) + " " + id;
    int64_t before = events();
    int64_t version = current_version(type, id);
    Status s = act(Who::kOtherHolder, type, a, id);
    if (a == Action::kRead) {
      EXPECT_EQ(s.code(), ErrorCode::kNotFound) << label;
    } else if (a == Action::kUpdate) {
      EXPECT_FALSE(s.is_ok()) << label;  // the id is another space's
    } else if (a == Action::kSearch) {
      EXPECT_FALSE(found_by_search(Who::kOtherHolder, type, id)) << label;
    }
    EXPECT_EQ(current_version(type, id), version) << label;
    EXPECT_EQ(events() - before, 0) << label;
  }
  int64_t current_version(std::string_view type, const std::string& id) {
    int64_t v = -1;
    EXPECT_TRUE(store_->transact(store::TxMode::kRead, [&](store::Transaction& tx) -> Status {
      auto r = tx.query_one("SELECT version, deleted FROM resources WHERE compartment = 'space-a' AND resource_type = ? "
                            "AND resource_id = ?", {std::string(type), id});
      if (!r.is_ok()) return r.status();
      v = *r && (*r)->integer(1) == 0 ? (*r)->integer(0) : -1;
      return Status::ok();
    }).is_ok());
    return v;
  }

  testing::TempDir dir_;
  testing::ManualClock clock_;
  crypto::KeyRing ring_ = crypto::KeyRing::from_master_key(crypto::random_key());
  fhir::ResourceStore resources_{ring_, clock_};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<ReferenceData> reference_;
  HookRegistry hooks_;
  std::unique_ptr<Repositories> repositories_;
};

TEST_F(AccessMatrix, EveryActorTypeActionAndVisibility) {
  const Matrix& m = Matrix::national_default();
  int cases = 0;
  for (Who who : kEveryone) {
    for (const char* type : kTypes) {
      for (Action a : kActions) {
        for (bool hidden : {false, true}) {
          if (hidden && (a == Action::kSearch || a == Action::kCreate)) continue;  // no resource yet
          std::string id = hidden ? "hidden" : "visible";
          if (who == Who::kOtherHolder && !is_directory(type)) {
            other_holder_case(type, a, id);
            ++cases;
            continue;
          }
          int64_t before = events();
          Status s = act(who, type, a, id);
          // Refused: as absent (kNotFound) or, for what the caller may know of, kForbidden.
          bool allowed = s.is_ok();
          std::string label = std::to_string(int(who)) + " " + type + " " + std::string(action_name(a)) +
                              (hidden ? " hidden" : "") + " → " + s.to_string();
          EXPECT_TRUE(allowed || s.code() == ErrorCode::kForbidden || s.code() == ErrorCode::kNotFound) << label;
          EXPECT_EQ(allowed, expected(who, type, a, hidden, m)) << label;
          if (allowed && (a == Action::kUpdate || a == Action::kDelete)) restore(type, id);
          int64_t audited = events() - before;
          bool holder = who == Who::kHolder || (who == Who::kOtherHolder && is_directory(type));
          EXPECT_EQ(audited, holder ? 0 : 1) << label;
          ++cases;
        }
      }
    }
  }
  EXPECT_GE(cases, 1000);
}

// Each visibility rule is written once (visibility.h): a read by id and a search agree on
// every case — what the caller may read is what their search finds.
TEST_F(AccessMatrix, ReadByIdAndSearchAgree) {
  int cases = 0, disagreements = 0;
  for (Who who : kEveryone) {
    for (const char* type : kTypes) {
      for (bool hidden : {false, true}) {
        std::string id = hidden ? "hidden" : "visible";
        bool read = act(who, type, Action::kRead, id).is_ok();
        bool found = found_by_search(who, type, id);
        if (read != found) ++disagreements;
        EXPECT_EQ(read, found) << int(who) << " " << type << " " << id;
        ++cases;
      }
    }
  }
  EXPECT_EQ(disagreements, 0);
  EXPECT_GE(cases, 400);
}

TEST(AccessPolicy, AuthorsHiddenDocumentsBlocksAndEmergency) {
  const Matrix& m = Matrix::national_default();
  Actor pro{ActorKind::kProfessional, "a", "123", "21"};
  SpaceFacts s;
  s.state = "open";
  s.care_team = true;
  ResourceFacts doc{"DocumentReference", "imaging", true, false, "123", false};
  EXPECT_TRUE(decide(pro, Action::kRead, s, doc, m).allowed);    // the author sees their hidden document
  EXPECT_TRUE(decide(pro, Action::kUpdate, s, doc, m).allowed);  // and may change it
  doc.author_idnatps = "999";
  EXPECT_FALSE(decide(pro, Action::kUpdate, s, doc, m).allowed);
  Actor holder{ActorKind::kHolder, "h", "", ""};
  SpaceFacts own;
  own.state = "open";
  own.is_holder = true;
  EXPECT_FALSE(decide(holder, Action::kDelete, own, doc, m).allowed);  // a professional's document: hide, not delete
  EXPECT_TRUE(decide(holder, Action::kRead, own, doc, m).allowed);
  // Emergency: refused when the holder forbids it; allowed despite a block only when allowed.
  Actor doctor{ActorKind::kProfessional, "d", "1", "10"};
  SpaceFacts e;
  e.state = "open";
  e.emergency = true;
  ResourceFacts obs{"Observation", "reports", false, false, "", false};
  auto d = decide(doctor, Action::kRead, e, obs, m);
  EXPECT_TRUE(d.allowed);
  EXPECT_TRUE(d.emergency);
  e.emergency_forbidden = true;
  EXPECT_FALSE(decide(doctor, Action::kRead, e, obs, m).allowed);
  e.emergency_forbidden = false;
  e.blocked = true;
  EXPECT_FALSE(decide(doctor, Action::kRead, e, obs, m).allowed);
  e.emergency_despite_block = true;
  EXPECT_TRUE(decide(doctor, Action::kRead, e, obs, m).allowed);
  // A space in its opposition window, opposed or closed.
  SpaceFacts notified;
  notified.state = "notified";
  notified.designated_physician = true;
  EXPECT_FALSE(decide(doctor, Action::kRead, notified, obs, m).allowed);
  own.state = "opposed";
  EXPECT_FALSE(decide(holder, Action::kRead, own, obs, m).allowed);
}

TEST(AccessPolicy, ResultsWithheldFromThePatient) {
  const Matrix& m = Matrix::national_default();
  ResourceFacts result{"DocumentReference", "reports", false, false, "123", false};
  result.withheld_from_patient = true;
  Actor holder{ActorKind::kHolder, "h", "", ""};
  SpaceFacts own;
  own.state = "open";
  own.is_holder = true;
  auto d = decide(holder, Action::kRead, own, result, m);
  EXPECT_FALSE(d.allowed);
  EXPECT_NE(d.reason.find("consultation"), std::string::npos);
  Actor parent{ActorKind::kRepresentative, "p", "", ""};
  SpaceFacts child;
  child.state = "open";
  child.is_representative = true;
  EXPECT_FALSE(decide(parent, Action::kRead, child, result, m).allowed);
  // Its author, and the professionals the matrix allows, still see it.
  Actor author{ActorKind::kProfessional, "a", "123", "10"};
  Actor colleague{ActorKind::kProfessional, "c", "456", "10"};
  SpaceFacts team;
  team.state = "open";
  team.care_team = true;
  EXPECT_TRUE(decide(author, Action::kRead, team, result, m).allowed);
  EXPECT_TRUE(decide(colleague, Action::kRead, team, result, m).allowed);
  result.withheld_from_patient = false;
  EXPECT_TRUE(decide(holder, Action::kRead, own, result, m).allowed);
  // Hidden from representatives (a minor's confidential document): the holder sees it, the parent not.
  result.hidden_from_representatives = true;
  EXPECT_TRUE(decide(holder, Action::kRead, own, result, m).allowed);
  EXPECT_FALSE(decide(parent, Action::kRead, child, result, m).allowed);
}

TEST(AccessPolicy, ControlsRelationshipsAndLookups) {
  const Matrix& m = Matrix::national_default();
  auto facts = [](std::string type, std::string category = "") {
    ResourceFacts r;
    r.type = std::move(type);
    r.category = std::move(category);
    return r;
  };
  Actor doctor{ActorKind::kProfessional, "d", "1", "10"}, holder{ActorKind::kHolder, "h", "", ""},
      parent{ActorKind::kRepresentative, "p", "", ""}, op{ActorKind::kOperator, "o", "", ""};
  EXPECT_TRUE(decide(doctor, Action::kSearch, {}, facts(std::string(kPatientLookup)), m).allowed);
  EXPECT_FALSE(decide(holder, Action::kSearch, {}, facts(std::string(kPatientLookup)), m).allowed);
  SpaceFacts open;
  open.state = "open";
  // Joining the care team needs no relationship, but not when blocked; emergency access only
  // when the holder allows it, and despite a block only when allowed.
  EXPECT_TRUE(decide(doctor, Action::kCreate, open, facts(std::string(kCareRelationship), "care_team"), m).allowed);
  SpaceFacts blocked = open;
  blocked.blocked = true;
  EXPECT_FALSE(decide(doctor, Action::kCreate, blocked, facts(std::string(kCareRelationship), "care_team"), m).allowed);
  EXPECT_FALSE(decide(doctor, Action::kCreate, blocked, facts(std::string(kCareRelationship), "emergency"), m).allowed);
  blocked.emergency_despite_block = true;
  EXPECT_TRUE(decide(doctor, Action::kCreate, blocked, facts(std::string(kCareRelationship), "emergency"), m).allowed);
  SpaceFacts no_emergency = open;
  no_emergency.emergency_forbidden = true;
  EXPECT_FALSE(decide(doctor, Action::kCreate, no_emergency, facts(std::string(kCareRelationship), "emergency"), m).allowed);
  // The holder's controls and history: the holder; a representative except holder-only acts;
  // never a professional or an operator.
  SpaceFacts own = open;
  own.is_holder = true;
  SpaceFacts represented = open;
  represented.is_representative = true;
  EXPECT_TRUE(decide(holder, Action::kUpdate, own, facts(std::string(kAccessControls), "holder-only"), m).allowed);
  EXPECT_TRUE(decide(parent, Action::kUpdate, represented, facts(std::string(kAccessControls)), m).allowed);
  EXPECT_FALSE(decide(parent, Action::kUpdate, represented, facts(std::string(kAccessControls), "holder-only"), m).allowed);
  EXPECT_TRUE(decide(parent, Action::kRead, represented, facts(std::string(kAuditTrail)), m).allowed);
  SpaceFacts delegated_read = represented;
  delegated_read.read_only = true;
  EXPECT_TRUE(decide(parent, Action::kRead, delegated_read, facts("Observation", "reports"), m).allowed);
  EXPECT_TRUE(decide(parent, Action::kSearch, delegated_read, facts("Observation", "reports"), m).allowed);
  EXPECT_FALSE(decide(parent, Action::kCreate, delegated_read, facts("Observation", "reports"), m).allowed);
  EXPECT_FALSE(decide(parent, Action::kUpdate, delegated_read, facts(std::string(kAccessControls)), m).allowed);
  EXPECT_FALSE(decide(holder, Action::kCreate, own, facts(std::string(kCareRelationship), "care_team"), m).allowed);
  SpaceFacts treating = open;
  treating.care_team = true;
  EXPECT_FALSE(decide(doctor, Action::kRead, treating, facts(std::string(kAuditTrail)), m).allowed);
  EXPECT_FALSE(decide(doctor, Action::kUpdate, treating, facts(std::string(kAccessControls)), m).allowed);
  EXPECT_FALSE(decide(op, Action::kRead, own, facts(std::string(kAuditTrail)), m).allowed);
}

TEST(AccessMatrixData, NationalDefaultAndImports) {
  const Matrix& m = Matrix::national_default();
  EXPECT_TRUE(m.allows("10", "reports"));
  EXPECT_FALSE(m.allows("10", "administrative"));
  EXPECT_TRUE(m.allows("21", "dispensations"));
  EXPECT_FALSE(m.allows("99999", "reports"));
  auto round = Matrix::parse_csv(m.to_csv());
  ASSERT_TRUE(round.is_ok()) << round.status().message();
  EXPECT_EQ(round->to_csv(), m.to_csv());
  EXPECT_FALSE(Matrix::parse_csv("code,label\n10,x\n").is_ok());
  EXPECT_FALSE(Matrix::parse_csv("profession_code,profession_label,category,allowed\n10,Médecin,everything,1\n").is_ok());
  EXPECT_FALSE(Matrix::parse_csv("profession_code,profession_label,category,allowed\nx1,Médecin,reports,1\n").is_ok());
  EXPECT_FALSE(Matrix::parse_csv("profession_code,profession_label,category,allowed\n10,Médecin,reports,yes\n").is_ok());
}

}  // namespace
}  // namespace carnet::access
