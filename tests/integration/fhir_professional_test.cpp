// Professionals and the holder's controls, end to end over HTTP: INS look-up, no access
// without a care relationship, care-team declaration (the holder is notified), the
// profession x category matrix, hidden documents (also out of search totals), authorship,
// emergency access, blocking, the holder's settings and the readable histories; the audit
// chain verifies at the end.
#include "tests/integration/fhir_fixture.h"

namespace carnet::itest {
namespace {

class Professionals : public Fhir {
 protected:
  void SetUp() override {
    Fhir::SetUp();
    julie_ = professional("810100000003", "julie.leroy@demo.carnet");    // nurse
    claire_ = professional("810100000001", "cabinet.martin@demo.carnet");  // physician
  }
  std::string julie_, claire_;
};

TEST_F(Professionals, CareRelationshipsMatrixHiddenDocumentsEmergencyAndBlocks) {
  // Jean's record: an observation and a condition.
  std::string space = json::parse(api("GET", "/api/v1/me", jean_)->body)["space_id"];
  std::string patient = "Patient/" + space;
  auto obs = call("POST", "/fhir/r4/Observation", jean_,
                  R"({"resourceType":"Observation","status":"final","code":{"text":"Poids"},"subject":{"reference":")" + patient + R"("}})");
  ASSERT_EQ(obs->status, 201) << obs->body;
  std::string obs_id = json::parse(obs->body)["id"];
  auto cond = call("POST", "/fhir/r4/Condition", jean_,
                   R"({"resourceType":"Condition","code":{"text":"Asthme"},"subject":{"reference":")" + patient + R"("}})");
  ASSERT_EQ(cond->status, 201) << cond->body;
  std::string cond_id = json::parse(cond->body)["id"];

  // Julie finds Jean by INS; a wrong birth date finds nothing, with the same answer as an unknown NIR.
  auto found = api("POST", "/api/v1/care/patients/lookup", julie_, R"({"nir":"184057512345625","birth_date":"1984-05-17"})");
  ASSERT_EQ(found->status, 200) << found->body;
  EXPECT_EQ(json::parse(found->body)["space_id"], space);
  EXPECT_EQ(api("POST", "/api/v1/care/patients/lookup", julie_, R"({"nir":"184057512345625","birth_date":"1984-05-18"})")->status, 404);
  EXPECT_EQ(api("POST", "/api/v1/care/patients/lookup", jean_, R"({"nir":"184057512345625","birth_date":"1984-05-17"})")->status, 403);

  // No care relationship, no access: what she may not see answers as what does not exist
  // (the same status and words), and the refusal is kept, with its reason, in Jean's history.
  auto refused = call("GET", "/fhir/r4/Observation/" + obs_id, julie_);
  EXPECT_EQ(refused->status, 404);
  auto absent = call("GET", "/fhir/r4/Observation/00000000-0000-7000-8000-000000000000", julie_);
  EXPECT_EQ(absent->status, 404);
  EXPECT_EQ(json::parse(refused->body)["issue"][0]["diagnostics"].get<std::string>().find("does not exist") != std::string::npos,
            json::parse(absent->body)["issue"][0]["diagnostics"].get<std::string>().find("does not exist") != std::string::npos);
  EXPECT_EQ(refused->body.find("no care relationship"), std::string::npos) << refused->body;
  bool refusal_kept = false;
  json trail = json::parse(api("GET", "/api/v1/care/history", jean_)->body);  // kept alive for the loop
  for (const auto& e : trail["events"]) {
    refusal_kept = refusal_kept || (e["outcome"] == "denied" && e["resource_id"] == obs_id &&
                                    e["reason"].get<std::string>().find("no care relationship") != std::string::npos);
  }
  EXPECT_TRUE(refusal_kept) << trail.dump();
  EXPECT_EQ(call("GET", "/fhir/r4/Observation?patient=" + patient, julie_)->status, 403);
  EXPECT_EQ(call("GET", "/fhir/r4/Observation", julie_)->status, 400);  // which patient?

  // Julie declares herself in Jean's care team: Jean is told.
  int before = notices("care_team_declared");
  EXPECT_EQ(api("POST", "/api/v1/care/spaces/" + space + "/care-team", julie_)->status, 204);
  for (int i = 0; i < 100 && notices("care_team_declared") == before; ++i) std::this_thread::sleep_for(50ms);
  EXPECT_EQ(notices("care_team_declared"), before + 1);
  EXPECT_EQ(call("GET", "/fhir/r4/Observation/" + obs_id, julie_)->status, 200);
  EXPECT_EQ(call("GET", "/fhir/r4/Condition/" + cond_id, julie_)->status, 200);
  // Her first look is told to Jean, once.
  for (int i = 0; i < 100 && notices("professional_first_access") == 0; ++i) std::this_thread::sleep_for(50ms);
  EXPECT_EQ(notices("professional_first_access"), 1);
  json seen = json::parse(call("GET", "/fhir/r4/Observation?patient=" + patient + "&_total=accurate", julie_)->body);
  EXPECT_EQ(seen["total"], 1);
  // Documents by category: a report (by its LOINC type) is seen by a nurse; a document Jean
  // added himself without codes (his own) and reimbursement data (by class) are not.
  auto add_doc = [&](const std::string& extra) {
    auto r = call("POST", "/fhir/r4/DocumentReference", jean_,
                  R"({"resourceType":"DocumentReference","status":"current","subject":{"reference":")" + patient + "\"}" + extra +
                      R"(,"content":[{"attachment":{"contentType":"application/pdf","data":"JVBERi0xLjQK"}}]})");
    EXPECT_EQ(r->status, 201) << r->body;
    return std::string(json::parse(r->body)["id"]);
  };
  std::string report = add_doc(R"(,"type":{"coding":[{"system":"http://loinc.org","code":"11488-4"}]})");
  std::string own_doc = add_doc("");
  std::string refund = add_doc(
      R"(,"category":[{"coding":[{"system":"urn:oid:1.2.250.1.213.1.1.4.1","code":"60"}]}])");
  EXPECT_EQ(call("GET", "/fhir/r4/DocumentReference/" + report, julie_)->status, 200);
  EXPECT_EQ(call("GET", "/fhir/r4/DocumentReference/" + own_doc, julie_)->status, 404);
  EXPECT_EQ(call("GET", "/fhir/r4/DocumentReference/" + refund, julie_)->status, 404);
  json docs = json::parse(call("GET", "/fhir/r4/DocumentReference?patient=" + patient + "&_total=accurate", julie_)->body);
  EXPECT_EQ(docs["total"], 1);
  EXPECT_EQ(json::parse(call("GET", "/fhir/r4/DocumentReference?_total=accurate", jean_)->body)["total"], 3);
  // The matrix: a nurse does not see administrative documents (an appointment here).
  auto appt = call("POST", "/fhir/r4/Appointment", jean_,
                   R"({"resourceType":"Appointment","status":"booked","participant":[{"actor":{"reference":")" + patient +
                       R"("},"status":"accepted"}]})");
  ASSERT_EQ(appt->status, 201) << appt->body;
  EXPECT_EQ(call("GET", "/fhir/r4/Appointment/" + std::string(json::parse(appt->body)["id"]), julie_)->status, 404);
  EXPECT_EQ(call("GET", "/fhir/r4/Consent?patient=" + patient, julie_)->status, 403);

  // Jean hides the observation from professionals: gone for Julie, from reads, searches and totals.
  EXPECT_EQ(api("PUT", "/api/v1/care/hidden/Observation/" + obs_id, jean_,
                R"({"from_professionals":true,"from_representatives":false})")->status, 204);
  EXPECT_EQ(call("GET", "/fhir/r4/Observation/" + obs_id, julie_)->status, 404);
  seen = json::parse(call("GET", "/fhir/r4/Observation?patient=" + patient + "&_total=accurate", julie_)->body);
  EXPECT_EQ(seen["total"], 0);
  EXPECT_FALSE(seen.contains("entry"));
  EXPECT_EQ(call("GET", "/fhir/r4/Observation/" + obs_id, jean_)->status, 200);  // the holder still sees it

  // Julie adds her own note to Jean's record; she may change it, Jean may not delete it.
  auto note = call("POST", "/fhir/r4/Observation", julie_,
                   R"({"resourceType":"Observation","status":"final","code":{"text":"Pansement"},"subject":{"reference":")" + patient + R"("}})");
  ASSERT_EQ(note->status, 201) << note->body;
  json mine = json::parse(note->body);
  EXPECT_EQ(call("DELETE", "/fhir/r4/Observation/" + std::string(mine["id"]), jean_)->status, 403);
  mine["status"] = "amended";
  EXPECT_EQ(call("PUT", "/fhir/r4/Observation/" + std::string(mine["id"]), julie_, mine.dump())->status, 200);
  // A document she adds is told to Jean, unless he chose not to hear of it.
  std::string doc = R"({"resourceType":"DocumentReference","status":"current","subject":{"reference":")" + patient +
                    R"("},"content":[{"attachment":{"contentType":"application/pdf","data":"JVBERi0xLjQK","title":"Compte rendu"}}]})";
  ASSERT_EQ(call("POST", "/fhir/r4/DocumentReference", julie_, doc)->status, 201);
  for (int i = 0; i < 100 && notices("document_added") == 0; ++i) std::this_thread::sleep_for(50ms);
  EXPECT_EQ(notices("document_added"), 1);
  EXPECT_EQ(api("PUT", "/api/v1/care/notifications/new_document", jean_, R"({"channel":"none"})")->status, 204);
  EXPECT_EQ(api("PUT", "/api/v1/care/notifications/new_document", jean_, R"({"channel":"pigeon"})")->status, 400);
  EXPECT_EQ(json::parse(api("GET", "/api/v1/care/notifications", jean_)->body)["new_document"], "none");
  ASSERT_EQ(call("POST", "/fhir/r4/DocumentReference", julie_, doc)->status, 201);
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(notices("document_added"), 1);
  EXPECT_EQ(call("PUT", "/fhir/r4/Condition/" + cond_id, julie_,
                 json::parse(call("GET", "/fhir/r4/Condition/" + cond_id, jean_)->body).dump())->status, 403);

  // Claire, a physician outside the care team, in an emergency: allowed for a time, Jean told.
  EXPECT_EQ(call("GET", "/fhir/r4/Condition/" + cond_id, claire_)->status, 404);
  EXPECT_EQ(api("POST", "/api/v1/care/spaces/" + space + "/emergency", claire_, R"({"reason":"x"})")->status, 400);
  EXPECT_EQ(api("POST", "/api/v1/care/spaces/" + space + "/emergency", claire_,
                R"({"reason":"Patient inconscient aux urgences"})")->status, 204);
  EXPECT_EQ(call("GET", "/fhir/r4/Condition/" + cond_id, claire_)->status, 200);
  EXPECT_EQ(call("GET", "/fhir/r4/Observation/" + obs_id, claire_)->status, 404);  // hidden, not her document
  for (int i = 0; i < 100 && notices("emergency_access") == 0; ++i) std::this_thread::sleep_for(50ms);
  EXPECT_EQ(notices("emergency_access"), 1);
  // Jean forbids emergency access: Claire is out at once.
  EXPECT_EQ(api("PUT", "/api/v1/care/settings", jean_, R"({"emergency_forbidden":true})")->status, 204);
  EXPECT_EQ(call("GET", "/fhir/r4/Condition/" + cond_id, claire_)->status, 404);
  EXPECT_EQ(api("POST", "/api/v1/care/spaces/" + space + "/emergency", claire_,
                R"({"reason":"Patient inconscient aux urgences"})")->status, 403);

  // Jean blocks Julie: no access at all; she cannot rejoin the care team.
  EXPECT_EQ(api("PUT", "/api/v1/care/blocks/810100000003", jean_, R"({"emergency_allowed":false})")->status, 204);
  EXPECT_EQ(call("GET", "/fhir/r4/Condition/" + cond_id, julie_)->status, 404);
  EXPECT_EQ(api("POST", "/api/v1/care/spaces/" + space + "/care-team", julie_)->status, 403);
  EXPECT_EQ(api("DELETE", "/api/v1/care/blocks/810100000003", jean_)->status, 204);
  EXPECT_EQ(call("GET", "/fhir/r4/Condition/" + cond_id, julie_)->status, 200);
  // Jean removes her from the team.
  EXPECT_EQ(api("DELETE", "/api/v1/care/relationships/810100000003", jean_)->status, 204);
  EXPECT_EQ(call("GET", "/fhir/r4/Condition/" + cond_id, julie_)->status, 404);
  // The removal stands: she cannot declare herself in the team again until Jean lets her back.
  EXPECT_EQ(api("POST", "/api/v1/care/spaces/" + space + "/care-team", julie_)->status, 403);
  EXPECT_EQ(call("GET", "/fhir/r4/Condition/" + cond_id, julie_)->status, 404);
  // Bad input changes nothing.
  EXPECT_EQ(api("PUT", "/api/v1/care/blocks/810100000003", jean_, R"({"emergency_allowed":"yes"})")->status, 400);
  EXPECT_EQ(api("PUT", "/api/v1/care/designated-physician", jean_, R"({"idnatps":"12ab"})")->status, 400);
  EXPECT_EQ(api("PUT", "/api/v1/care/designated-physician", jean_, R"({"idnatps":"899999999999"})")->status, 404);
  EXPECT_EQ(api("PUT", "/api/v1/care/hidden/Observation/nope", jean_, R"({"from_professionals":true,"from_representatives":false})")->status, 404);
  EXPECT_EQ(api("PUT", "/api/v1/care/blocks/810100000003", julie_, R"({"emergency_allowed":false})")->status, 403);

  // The designated physician sees hidden documents too.
  EXPECT_EQ(api("PUT", "/api/v1/care/designated-physician", jean_, R"({"idnatps":"810100000001"})")->status, 204);
  EXPECT_EQ(call("GET", "/fhir/r4/Observation/" + obs_id, claire_)->status, 200);

  // Consent for one consultation: Jean reads a code out to Julie, now outside the team. A wrong code is refused; the right one lets her in for the consultation.
  auto consult = api("POST", "/api/v1/care/consultation-codes", jean_);
  ASSERT_EQ(consult->status, 201) << consult->body;
  std::string digits = json::parse(consult->body)["code"];
  EXPECT_EQ(api("POST", "/api/v1/care/spaces/" + space + "/consent", julie_,
                json{{"code", digits == "000000" ? "111111" : "000000"}}.dump())->status, 403);
  EXPECT_EQ(api("POST", "/api/v1/care/spaces/" + space + "/consent", julie_, json{{"code", digits}}.dump())->status, 204);
  EXPECT_EQ(call("GET", "/fhir/r4/Condition/" + cond_id, julie_)->status, 200);
  EXPECT_EQ(api("POST", "/api/v1/care/spaces/" + space + "/consent", julie_, json{{"code", digits}}.dump())->status, 403);  // used
  // Let back by Jean's code, she may join his care team again.
  EXPECT_EQ(api("POST", "/api/v1/care/spaces/" + space + "/care-team", julie_)->status, 204);

  // Jean reads who accessed his space, and his own actions, apart.
  json history = json::parse(api("GET", "/api/v1/care/history", jean_)->body)["events"];
  std::set<std::string> actors, actions, outcomes;
  for (const auto& e : history) {
    actors.insert(e["actor_id"]);
    actions.insert(e["action"]);
    outcomes.insert(e["outcome"]);
  }
  EXPECT_TRUE(actors.count("810100000003") && actors.count("810100000001"));
  EXPECT_TRUE(actions.count("find-patient") && actions.count("declare-care-team") && actions.count("emergency-access") &&
              actions.count("read") && actions.count("search"));
  EXPECT_TRUE(outcomes.count("denied") && outcomes.count("allowed"));
  json own = json::parse(api("GET", "/api/v1/care/my-actions", jean_)->body)["events"];
  std::set<std::string> own_actions;
  for (const auto& e : own) own_actions.insert(e["action"]);
  EXPECT_TRUE(own_actions.count("hide") && own_actions.count("block") && own_actions.count("forbid-emergency") &&
              own_actions.count("designate-physician"));
  EXPECT_EQ(api("GET", "/api/v1/care/history", julie_)->status, 403);
  // The same trail as FHIR AuditEvents, for the holder only, a page at a time.
  json events = json::parse(call("GET", "/fhir/r4/AuditEvent?_count=5", jean_)->body);
  ASSERT_EQ(events["entry"].size(), 5u);
  bool has_next = false;
  for (const auto& l : events["link"]) has_next = has_next || l["relation"] == "next";
  EXPECT_TRUE(has_next);
  std::string first_id = events["entry"][0]["resource"]["id"];
  auto one = call("GET", "/fhir/r4/AuditEvent/" + first_id, jean_);
  ASSERT_EQ(one->status, 200) << one->body;
  json all = json::parse(call("GET", "/fhir/r4/AuditEvent?_count=200", jean_)->body);
  bool emergency = false, julie = false;
  for (const auto& e : all["entry"]) {
    emergency = emergency || e["resource"].contains("purposeOfEvent");
    julie = julie || e["resource"]["agent"][0]["who"].dump().find("810100000003") != std::string::npos;
  }
  EXPECT_TRUE(emergency && julie);
  EXPECT_EQ(call("GET", "/fhir/r4/AuditEvent?_count=5", julie_)->status, 400);  // which patient?
  EXPECT_EQ(call("GET", "/fhir/r4/AuditEvent?patient=" + patient, claire_)->status, 403);
  EXPECT_EQ(call("GET", "/fhir/r4/AuditEvent?code=x", jean_)->status, 400);
  int code = -1;
  std::string verify = carnet_cli(d_.data_dir(), "audit verify", &code);
  EXPECT_EQ(code, 0) << verify;
}

TEST_F(Professionals, TheHolderReadsTheirControlsWithNamesAndTheLookUpGivesTheIdentityTraits) {
  std::string space = json::parse(api("GET", "/api/v1/me", jean_)->body)["space_id"];
  std::string patient = "Patient/" + space;
  // The INS look-up gives the traits the professional checks against the person in front of them.
  auto found = api("POST", "/api/v1/care/patients/lookup", julie_, R"({"nir":"184057512345625","birth_date":"1984-05-17"})");
  ASSERT_EQ(found->status, 200) << found->body;
  json traits = json::parse(found->body);
  EXPECT_EQ(traits["birth_name"], "DUPONT");
  EXPECT_EQ(traits["first_names"], "JEAN");
  EXPECT_EQ(traits["birth_date"], "1984-05-17");
  EXPECT_EQ(traits["sex"], "M");
  ASSERT_EQ(api("POST", "/api/v1/care/spaces/" + space + "/care-team", julie_)->status, 204);
  auto obs = call("POST", "/fhir/r4/Observation", jean_,
                  R"({"resourceType":"Observation","status":"final","code":{"text":"Poids"},"subject":{"reference":")" + patient + R"("}})");
  ASSERT_EQ(obs->status, 201) << obs->body;
  std::string obs_id = json::parse(obs->body)["id"];
  ASSERT_EQ(call("GET", "/fhir/r4/Observation/" + obs_id, julie_)->status, 200);

  // Relationships and history name the professional, with their profession.
  json rel = json::parse(api("GET", "/api/v1/care/relationships", jean_)->body)["relationships"];
  ASSERT_EQ(rel.size(), 1u) << rel;
  EXPECT_EQ(rel[0]["idnatps"], "810100000003");
  EXPECT_NE(std::string(rel[0]["name"]).find("LEROY"), std::string::npos) << rel;
  EXPECT_FALSE(std::string(rel[0]["profession"]).empty()) << rel;
  json history = json::parse(api("GET", "/api/v1/care/history", jean_)->body)["events"];
  bool named = false;
  for (const auto& e : history) {
    if (e["actor_kind"] == "professional" && e["action"] == "read") {
      named = std::string(e["actor_name"]).find("LEROY") != std::string::npos;
    }
  }
  EXPECT_TRUE(named) << history;

  // Blocks, the emergency setting and hidden items read back as set.
  EXPECT_EQ(json::parse(api("GET", "/api/v1/care/blocks", jean_)->body)["blocks"].size(), 0u);
  ASSERT_EQ(api("PUT", "/api/v1/care/blocks/810100000001", jean_, R"({"emergency_allowed":true})")->status, 204);
  json blocks = json::parse(api("GET", "/api/v1/care/blocks", jean_)->body)["blocks"];
  ASSERT_EQ(blocks.size(), 1u) << blocks;
  EXPECT_EQ(blocks[0]["emergency_allowed"], true);
  EXPECT_NE(std::string(blocks[0]["name"]).find("MARTIN"), std::string::npos) << blocks;
  EXPECT_EQ(json::parse(api("GET", "/api/v1/care/settings", jean_)->body)["emergency_forbidden"], false);
  ASSERT_EQ(api("PUT", "/api/v1/care/settings", jean_, R"({"emergency_forbidden":true})")->status, 204);
  EXPECT_EQ(json::parse(api("GET", "/api/v1/care/settings", jean_)->body)["emergency_forbidden"], true);
  EXPECT_EQ(json::parse(api("GET", "/api/v1/care/hidden", jean_)->body)["hidden"].size(), 0u);
  std::string doc = R"({"resourceType":"DocumentReference","status":"current","subject":{"reference":")" + patient +
                    R"("},"content":[{"attachment":{"contentType":"application/pdf","data":"JVBERi0xLjQK","title":"Bilan"}}]})";
  auto added = call("POST", "/fhir/r4/DocumentReference", jean_, doc);
  ASSERT_EQ(added->status, 201) << added->body;
  std::string doc_id = json::parse(added->body)["id"];
  ASSERT_EQ(api("PUT", "/api/v1/care/hidden/DocumentReference/" + doc_id, jean_,
                R"({"from_professionals":true,"from_representatives":false})")->status, 204);
  json hidden = json::parse(api("GET", "/api/v1/care/hidden", jean_)->body)["hidden"];
  ASSERT_EQ(hidden.size(), 1u) << hidden;  // the document, not its bytes
  EXPECT_EQ(hidden[0]["resource_type"], "DocumentReference");
  EXPECT_EQ(hidden[0]["resource_id"], doc_id);
  EXPECT_EQ(hidden[0]["from_professionals"], true);
  ASSERT_EQ(api("PUT", "/api/v1/care/hidden/DocumentReference/" + doc_id, jean_,
                R"({"from_professionals":false,"from_representatives":false})")->status, 204);
  EXPECT_EQ(json::parse(api("GET", "/api/v1/care/hidden", jean_)->body)["hidden"].size(), 0u);

  // A professional has no controls of their own to read, and nobody reads another's.
  for (const char* path : {"/api/v1/care/blocks", "/api/v1/care/settings", "/api/v1/care/hidden"}) {
    auto r = api("GET", path, julie_);
    EXPECT_TRUE(r->status == 403 || r->status == 400) << path << " " << r->status << " " << r->body;
    EXPECT_EQ(http_get(d_.port(), path)->status, 401) << path;
  }
}

}  // namespace
}  // namespace carnet::itest
