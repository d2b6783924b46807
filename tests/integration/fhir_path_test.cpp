// The one path from request to data (issue 17), over HTTP: the compartment is the truth (a
// resource written into a space names that space's Patient), no request of any shape gets a
// 5xx (every element of each profile and document type given every wrong JSON type, alone
// and inside a transaction), and every audit event names the resource it concerns.
#include "tests/integration/fhir_fixture.h"

namespace carnet::itest {
namespace {

class FhirPath : public Fhir {
 protected:
  void SetUp() override {
    Fhir::SetUp();
    space_ = json::parse(api("GET", "/api/v1/me", jean_)->body)["space_id"];
    other_ = json::parse(api("GET", "/api/v1/me", sophie_)->body)["space_id"];
  }
  int count(const std::string& query, const std::string& auth) {
    auto r = call("GET", "/fhir/r4/" + query + (query.find('?') == std::string::npos ? "?" : "&") + "_summary=count", auth);
    EXPECT_EQ(r->status, 200) << r->body;
    return json::parse(r->body).value("total", -1);
  }
  // A valid resource of each profile and document type, in Jean's record.
  json sample(const std::string& type) const {
    json subject = {{"reference", "Patient/" + space_}};
    json loinc = {{"coding", {{{"system", "http://loinc.org"}, {"code", "29463-7"}}}}};
    if (type == "Observation") {
      return {{"resourceType", "Observation"}, {"status", "final"}, {"code", loinc}, {"subject", subject},
              {"effectiveDateTime", "2024-03-05"},
              {"valueQuantity", {{"value", 72.5}, {"unit", "kg"}, {"system", "http://unitsofmeasure.org"}, {"code", "kg"}}},
              {"component", {{{"code", {{"coding", {{{"system", "http://loinc.org"}, {"code", "8480-6"}}}}}},
                              {"valueQuantity", {{"value", 120}, {"system", "http://unitsofmeasure.org"}, {"code", "mm[Hg]"}}}}}}};
    }
    if (type == "Condition") return {{"resourceType", "Condition"}, {"code", {{"text", "Asthme"}}}, {"subject", subject}};
    if (type == "AllergyIntolerance") {
      return {{"resourceType", "AllergyIntolerance"}, {"code", {{"text", "Pénicilline"}}}, {"patient", subject},
              {"criticality", "high"}};
    }
    if (type == "Immunization") {
      return {{"resourceType", "Immunization"}, {"status", "completed"}, {"vaccineCode", {{"text", "DTP"}}}, {"patient", subject},
              {"occurrenceDateTime", "2024-01-02"}};
    }
    if (type == "MedicationStatement") {
      return {{"resourceType", "MedicationStatement"}, {"status", "active"}, {"medicationCodeableConcept", {{"text", "Ventoline"}}},
              {"subject", subject}, {"dosage", {{{"text", "2 bouffées"}}}}};
    }
    if (type == "DocumentReference") {
      return {{"resourceType", "DocumentReference"}, {"status", "current"}, {"subject", subject},
              {"type", loinc}, {"securityLabel", {{{"coding", {{{"system", "urn:oid:1.2.250.1.213.1.1.4.13"}, {"code", "MASQUE_PS"}}}}}}},
              {"relatesTo", {{{"code", "replaces"}, {"target", {{"reference", "DocumentReference/nope"}}}}}},
              {"content", {{{"attachment", {{"contentType", "text/plain"}, {"data", "Qm9uam91cgo="}, {"title", "x.txt"}}}}}}};
    }
    if (type == "Binary") return {{"resourceType", "Binary"}, {"contentType", "text/plain"}, {"data", "Qm9uam91cgo="}};
    if (type == "Appointment") {
      return {{"resourceType", "Appointment"}, {"status", "booked"},
              {"participant", {{{"actor", subject}, {"status", "accepted"}}}}};
    }
    return {{"resourceType", type}};
  }
  std::string space_, other_;
};

// Every element path of a JSON document (object members and array items), as JSON pointers.
void paths(const json& node, const json::json_pointer& at, std::vector<json::json_pointer>& out) {
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) {
      out.push_back(at / key);
      paths(value, at / key, out);
    }
  } else if (node.is_array()) {
    for (size_t i = 0; i < node.size(); ++i) {
      out.push_back(at / i);
      paths(node[i], at / i, out);
    }
  }
}

TEST_F(FhirPath, AResourceWrittenIntoASpaceNamesThatSpacesPatient) {
  int before = count("Observation", jean_);
  json obs = sample("Observation");
  obs["subject"]["reference"] = "Patient/" + other_;  // Sophie, in Jean's record
  auto r = call("POST", "/fhir/r4/Observation", jean_, obs.dump());
  EXPECT_EQ(r->status, 422) << r->body;
  EXPECT_NE(r->body.find("Observation.subject"), std::string::npos) << r->body;
  obs["subject"]["reference"] = "http://elsewhere.example/fhir/Patient/" + other_;
  EXPECT_EQ(call("POST", "/fhir/r4/Observation", jean_, obs.dump())->status, 422);
  obs["subject"]["reference"] = "Group/" + space_;
  EXPECT_EQ(call("POST", "/fhir/r4/Observation", jean_, obs.dump())->status, 422);
  json doc = sample("DocumentReference");
  doc.erase("relatesTo");
  doc["subject"]["reference"] = "Patient/" + other_;
  EXPECT_EQ(call("POST", "/fhir/r4/DocumentReference", jean_, doc.dump())->status, 422);
  json appt = sample("Appointment");
  appt["participant"].push_back({{"actor", {{"reference", "Patient/" + other_}}}, {"status", "accepted"}});
  EXPECT_EQ(call("POST", "/fhir/r4/Appointment", jean_, appt.dump())->status, 422);
  // Nor inside a transaction, which leaves nothing behind.
  json ok = sample("Observation");
  json bundle = {{"resourceType", "Bundle"}, {"type", "transaction"},
                 {"entry", {{{"resource", ok}, {"request", {{"method", "POST"}, {"url", "Observation"}}}},
                            {{"resource", obs}, {"request", {{"method", "POST"}, {"url", "Observation"}}}}}}};
  EXPECT_EQ(call("POST", "/fhir/r4", jean_, bundle.dump())->status, 422);
  EXPECT_EQ(count("Observation", jean_), before);
  // Correctly named, it is stored.
  EXPECT_EQ(call("POST", "/fhir/r4/Observation", jean_, ok.dump())->status, 201);
  EXPECT_EQ(count("Observation", jean_), before + 1);
}

TEST_F(FhirPath, EveryElementOfEveryWrongJsonTypeNeverAnswers5xx) {
  const json wrong[] = {json("x"), json(7), json(true), json::object(), json::array(), json(nullptr)};
  int requests = 0;
  for (std::string type : {"Observation", "Condition", "AllergyIntolerance", "Immunization", "MedicationStatement",
                           "DocumentReference", "Binary", "Appointment"}) {
    json valid = sample(type);
    std::vector<json::json_pointer> all;
    paths(valid, json::json_pointer(), all);
    for (const auto& p : all) {
      for (const json& w : wrong) {
        json bad = valid;
        bad[p] = w;
        auto r = call("POST", "/fhir/r4/" + type, jean_, bad.dump());
        ASSERT_TRUE(r.has_value());
        EXPECT_LT(r->status, 500) << type << " " << p.to_string() << " = " << w.dump() << ": " << r->body;
        ++requests;
        if (type != "Observation" && type != "DocumentReference" && type != "Binary") continue;
        // The same inside a transaction Bundle.
        json bundle = {{"resourceType", "Bundle"}, {"type", "transaction"},
                       {"entry", {{{"resource", bad}, {"request", {{"method", "POST"}, {"url", type}}}}}}};
        auto t = call("POST", "/fhir/r4", jean_, bundle.dump());
        ASSERT_TRUE(t.has_value());
        EXPECT_LT(t->status, 500) << "Bundle " << type << " " << p.to_string() << " = " << w.dump() << ": " << t->body;
        ++requests;
      }
    }
  }
  EXPECT_GT(requests, 500);
  // The valid ones are accepted (the mutations above were not refused for another reason).
  for (std::string type : {"Observation", "Condition", "Immunization", "Appointment"}) {
    auto r = call("POST", "/fhir/r4/" + type, jean_, sample(type).dump());
    EXPECT_EQ(r->status, 201) << type << " " << r->body;
  }
}

TEST_F(FhirPath, EveryAuditEventNamesTheResourceItConcerns) {
  std::string julie = professional("810100000003", "julie.leroy@demo.carnet");
  ASSERT_EQ(api("POST", "/api/v1/care/spaces/" + space_ + "/care-team", julie)->status, 204);
  json doc = sample("DocumentReference");
  doc.erase("relatesTo");
  doc.erase("securityLabel");
  auto created = call("POST", "/fhir/r4/DocumentReference", julie, doc.dump());
  ASSERT_EQ(created->status, 201) << created->body;
  std::string id = json::parse(created->body)["id"];
  json obs = sample("Observation");
  auto o = call("POST", "/fhir/r4/Observation", julie, obs.dump());
  ASSERT_EQ(o->status, 201) << o->body;
  std::string obs_id = json::parse(o->body)["id"];
  json trail = json::parse(api("GET", "/api/v1/care/history", jean_)->body);
  bool document = false, observation = false;
  for (const auto& e : trail["events"]) {
    if (e["action"] != "create") continue;
    EXPECT_FALSE(e["resource_id"].get<std::string>().empty()) << e.dump();
    document = document || (e["resource_type"] == "DocumentReference" && e["resource_id"] == id);
    observation = observation || (e["resource_type"] == "Observation" && e["resource_id"] == obs_id);
  }
  EXPECT_TRUE(document && observation) << trail.dump();
}

}  // namespace
}  // namespace carnet::itest
