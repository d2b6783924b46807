// FHIR REST basics over HTTP (first part of the FHIR issue): read, vread, history, create,
// update with If-Match, delete, OperationOutcome errors, negotiation, compartment isolation.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "tests/integration/fhir_fixture.h"

namespace carnet::itest {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

const char kObservation[] =
    R"({"resourceType":"Observation","status":"final","code":{"text":"Glycémie à jeun, note du Dr Hippocrate"},)"
    R"("valueQuantity":{"value":5.4,"unit":"mmol/L"}})";

TEST_F(Fhir, CreateReadUpdateHistoryDelete) {
  auto created = call("POST", "/fhir/r4/Observation", jean_, kObservation);
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  EXPECT_EQ(created->header("content-type"), "application/fhir+json; charset=utf-8");
  EXPECT_EQ(created->header("etag"), "W/\"1\"");
  std::string location = created->header("location");
  json obs = json::parse(created->body);
  std::string id = obs["id"];
  EXPECT_EQ(location, "/fhir/r4/Observation/" + id + "/_history/1");
  EXPECT_EQ(obs["meta"]["versionId"], "1");

  auto read = call("GET", "/fhir/r4/Observation/" + id, jean_);
  EXPECT_EQ(read->status, 200);
  EXPECT_EQ(json::parse(read->body)["valueQuantity"]["value"], 5.4);

  obs["status"] = "amended";
  auto updated = call("PUT", "/fhir/r4/Observation/" + id, jean_, obs.dump(), {"If-Match: W/\"1\""});
  ASSERT_EQ(updated->status, 200) << updated->body;
  EXPECT_EQ(updated->header("etag"), "W/\"2\"");
  auto stale = call("PUT", "/fhir/r4/Observation/" + id, jean_, obs.dump(), {"If-Match: W/\"1\""});
  EXPECT_EQ(stale->status, 412);
  EXPECT_EQ(json::parse(stale->body)["resourceType"], "OperationOutcome");
  auto minimal = call("PUT", "/fhir/r4/Observation/" + id, jean_, obs.dump(), {"Prefer: return=minimal"});
  EXPECT_EQ(minimal->status, 200);
  EXPECT_TRUE(minimal->body.empty());

  EXPECT_EQ(json::parse(call("GET", "/fhir/r4/Observation/" + id + "/_history/1", jean_)->body)["status"], "final");
  auto history = call("GET", "/fhir/r4/Observation/" + id + "/_history", jean_);
  ASSERT_EQ(history->status, 200);
  EXPECT_EQ(json::parse(history->body)["total"], 3);

  EXPECT_EQ(call("DELETE", "/fhir/r4/Observation/" + id, jean_)->status, 204);
  auto gone = call("GET", "/fhir/r4/Observation/" + id, jean_);
  EXPECT_EQ(gone->status, 410);
  EXPECT_EQ(json::parse(gone->body)["issue"][0]["code"], "deleted");
  EXPECT_EQ(call("DELETE", "/fhir/r4/Observation/" + id, jean_)->status, 204);  // idempotent
}

TEST_F(Fhir, CompartmentsAndDirectory) {
  auto created = call("POST", "/fhir/r4/Observation", jean_, kObservation);
  std::string id = json::parse(created->body)["id"];
  // Sophie is another person: Jean's observation does not exist for her, and she cannot
  // take its id for one of hers.
  EXPECT_EQ(call("GET", "/fhir/r4/Observation/" + id, sophie_)->status, 404);
  json copy = json::parse(kObservation);
  copy["id"] = id;
  EXPECT_EQ(call("PUT", "/fhir/r4/Observation/" + id, sophie_, copy.dump())->status, 409);
  EXPECT_EQ(call("GET", "/fhir/r4/Observation/" + id, "X-None: 1")->status, 401);
  // The directory: readable by anyone signed in, written only by imports.
  auto gp = call("GET", "/fhir/r4/Practitioner/810100000001", sophie_);
  ASSERT_EQ(gp->status, 200) << gp->body;
  EXPECT_EQ(json::parse(gp->body)["name"][0]["family"], "MARTIN");
  EXPECT_EQ(call("PUT", "/fhir/r4/Practitioner/810100000001", sophie_, gp->body)->status, 403);
  EXPECT_EQ(call("POST", "/fhir/r4/AuditEvent", jean_, R"({"resourceType":"AuditEvent"})")->status, 403);
  // No plaintext in the data directory.
  std::string all;
  for (auto& f : std::filesystem::directory_iterator(d_.data_dir())) {
    if (f.path().filename() == "notices.jsonl") continue;
    std::ifstream in(f.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    all += ss.str();
  }
  EXPECT_EQ(all.find("Hippocrate"), std::string::npos);
  EXPECT_EQ(all.find("MARTIN"), std::string::npos);
}

TEST_F(Fhir, CapabilityStatementListsWhatWorks) {
  auto meta = http_get(d_.port(), "/fhir/r4/metadata");  // public, as FHIR asks
  ASSERT_EQ(meta->status, 200) << meta->body;
  json cs = json::parse(meta->body);
  EXPECT_EQ(cs["resourceType"], "CapabilityStatement");
  EXPECT_EQ(cs["fhirVersion"], "4.0.1");
  std::map<std::string, std::set<std::string>> by_type;
  for (const auto& r : cs["rest"][0]["resource"]) {
    for (const auto& i : r["interaction"]) by_type[r["type"]].insert(i["code"]);
  }
  EXPECT_EQ(by_type["Observation"], (std::set<std::string>{"read", "vread", "history-instance", "history-type",
                                                           "search-type", "create", "update", "delete"}));
  std::set<std::string> read_only = {"read", "vread", "history-instance", "history-type", "search-type"};
  EXPECT_EQ(by_type["Practitioner"], read_only);
  EXPECT_EQ(by_type["AuditEvent"], (std::set<std::string>{"read", "search-type"}));
  EXPECT_EQ(by_type.size(), 18u);
  // Search parameters come from the same table the server uses.
  for (const auto& r : cs["rest"][0]["resource"]) {
    if (r["type"] != "Observation") continue;
    std::set<std::string> names;
    for (const auto& p : r["searchParam"]) names.insert(p["name"]);
    for (const char* n : {"_id", "_lastUpdated", "patient", "subject", "code", "category", "status", "date", "identifier"}) {
      EXPECT_TRUE(names.count(n)) << n;
    }
  }
  EXPECT_EQ(cs["rest"][0]["interaction"].size(), 2u);  // batch, transaction
}

TEST_F(Fhir, BadRequestsGetOperationOutcomes) {
  auto unknown = call("GET", "/fhir/r4/Spaceship/1", jean_);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(json::parse(unknown->body)["resourceType"], "OperationOutcome");
  EXPECT_EQ(call("GET", "/fhir/r4/Observation/1", jean_, "", {"Accept: application/fhir+xml"})->status, 406);
  EXPECT_EQ(call("GET", "/fhir/r4/Observation/1?_format=xml", jean_)->status, 406);
  EXPECT_EQ(call("GET", "/fhir/r4/Observation/nope?_format=json", jean_)->status, 404);
  auto xml = http_request(d_.port(), "POST", "/fhir/r4/Observation", "<Observation/>", {jean_, "Content-Type: application/fhir+xml"});
  EXPECT_EQ(xml->status, 415);
  EXPECT_EQ(call("POST", "/fhir/r4/Observation", jean_, "{not json")->status, 400);
  EXPECT_EQ(call("POST", "/fhir/r4/Observation", jean_, R"({"resourceType":"Patient"})")->status, 422);
  EXPECT_EQ(call("PUT", "/fhir/r4/Observation/abc", jean_, R"({"resourceType":"Observation","id":"xyz"})")->status, 400);
  EXPECT_EQ(call("PUT", "/fhir/r4/Observation/a%20b", jean_, R"({"resourceType":"Observation"})")->status, 400);
  EXPECT_EQ(call("PUT", "/fhir/r4/Observation/abc", jean_, R"({"resourceType":"Observation"})", {"If-Match: 3"})->status, 400);
  EXPECT_EQ(call("GET", "/fhir/r4/Observation/abc/_history/x1", jean_)->status, 400);
  // Errors raised before any handler runs speak FHIR too under /fhir/.
  auto patch = call("PATCH", "/fhir/r4/Observation/abc", jean_, "{}");
  EXPECT_EQ(patch->status, 405);
  EXPECT_EQ(json::parse(patch->body)["resourceType"], "OperationOutcome");
  auto nowhere = call("GET", "/fhir/r4/Observation/abc/x/y", jean_);
  EXPECT_EQ(nowhere->status, 404);
  EXPECT_EQ(json::parse(nowhere->body)["resourceType"], "OperationOutcome");
  auto huge = call("POST", "/fhir/r4/Observation", jean_, std::string(9 << 20, ' '));
  ASSERT_TRUE(huge);
  EXPECT_EQ(huge->status, 413);
  EXPECT_EQ(json::parse(huge->body)["resourceType"], "OperationOutcome");
}

}  // namespace
}  // namespace carnet::itest
