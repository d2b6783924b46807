// The authorization matrix (issue: access policy): every kind of actor × every resource type
// × read/search/create/update/delete × hidden or not, through the real Gate on a real store,
// each case checked against the rules as stated, and each non-holder case checked to leave
// exactly one audit event.
#include "access/gate.h"

#include <gtest/gtest.h>

#include "core/manual_clock_for_testing.h"
#include "core/temp_dir_for_testing.h"
#include "crypto/random.h"

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

class AccessMatrix : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::open_sqlite({dir_.file("carnet.db")});
    ASSERT_TRUE(s.is_ok()) << s.status().message();
    store_ = std::move(*s);
    audit_ = std::make_unique<AuditLog>(*store_, ring_, clock_);
    gate_ = std::make_unique<Gate>(*store_, ring_, *audit_, clock_);
    ASSERT_TRUE(store_->transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
      for (const char* id : {"space-a", "space-b"}) {
        auto r = tx.exec("INSERT INTO spaces (space_id, ins_hash, state, enrolled_at, opposition_deadline, activated_at, "
                         "state_changed_at) VALUES (?, ?, 'open', ?, ?, ?, ?)",
                         {std::string(id), store::Blob{crypto::random_token(16)}, now(), now(), now(), now()});
        if (!r.is_ok()) return r.status();
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
      // The hidden variant of each type: resource id "hidden"; documents are reports.
      for (const char* t : kTypes) {
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
    auto pro = [&](const char* idnatps, const char* profession) {
      c.actor = {ActorKind::kProfessional, std::string("acct-") + idnatps, idnatps, profession};
    };
    switch (who) {
      case Who::kHolder: c.actor = {ActorKind::kHolder, "acct-holder", "", ""}; c.own_space = c.acting_space = "space-a"; break;
      case Who::kRepresentative: c.actor = {ActorKind::kRepresentative, "acct-parent", "", ""}; c.own_space = "space-p"; c.acting_space = "space-a"; break;
      case Who::kDesignatedPhysician: pro("100", "10"); break;
      case Who::kCareTeamNurse: pro("600", "60"); break;
      case Who::kPharmacist: pro("210", "21"); break;
      case Who::kUnrelatedProfessional: pro("500", "10"); break;
      case Who::kBlockedProfessional: pro("700", "10"); break;
      case Who::kWithConsent: pro("800", "10"); break;
      case Who::kConsentExpired: pro("801", "10"); break;
      case Who::kEmergency: pro("900", "10"); break;
      case Who::kEmergencyExpired: pro("901", "10"); break;
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

  testing::TempDir dir_;
  testing::ManualClock clock_;
  crypto::KeyRing ring_ = crypto::KeyRing::from_master_key(crypto::random_key());
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<Gate> gate_;
};

TEST_F(AccessMatrix, EveryActorTypeActionAndVisibility) {
  const Matrix& m = Matrix::national_default();
  int cases = 0;
  for (Who who : kEveryone) {
    for (const char* type : kTypes) {
      for (Action a : kActions) {
        for (bool hidden : {false, true}) {
          if (hidden && (a == Action::kSearch || a == Action::kCreate)) continue;  // no resource yet
          Target t;
          t.space_id = is_directory(type) ? "" : "space-a";
          t.resource.type = type;
          t.resource.directory = is_directory(type);
          t.resource.category = std::string(type_category(type));  // as the REST layer does
          if (a != Action::kSearch && a != Action::kCreate) t.resource_id = hidden ? "hidden" : "visible";
          int64_t before = events();
          auto d = gate_->check(caller(who), a, t);
          ASSERT_TRUE(d.is_ok()) << d.status().message();
          std::string label = std::to_string(int(who)) + " " + type + " " + std::string(action_name(a)) +
                              (hidden ? " hidden" : "") + " → " + d->reason;
          EXPECT_EQ(d->allowed, expected(who, type, a, hidden, m)) << label;
          if (!d->allowed) {
            EXPECT_FALSE(d->reason.empty()) << label;
          }
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
