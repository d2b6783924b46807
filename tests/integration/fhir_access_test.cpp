// The access gate on the FHIR API: a representative acting in a minor's space is audited
// (hash-chained, verified by `carnet audit verify`), an operator sees no health content, and
// every refusal is an OperationOutcome with the policy's reason.
#include "tests/integration/fhir_fixture.h"

namespace carnet::itest {
namespace {

TEST_F(Fhir, RepresentativesAreAuditedAndOperatorsSeeNothing) {
  // Jean represents his daughter Léa: he switches to her space.
  auto spaces = call("GET", "/api/v1/spaces", jean_);
  ASSERT_EQ(spaces->status, 200) << spaces->body;
  std::string lea;
  json list = json::parse(spaces->body)["spaces"];
  for (const auto& s : list) {
    if (s["role"] == "representative") lea = s["space_id"];
  }
  ASSERT_FALSE(lea.empty()) << spaces->body;
  // Reading in his own space first: the server remembers his session as acting there, and
  // must not keep him there once he switched (the gate's statement sees the switch).
  ASSERT_EQ(call("GET", "/fhir/r4/Observation?_count=5", jean_)->status, 200);
  ASSERT_EQ(call("POST", "/api/v1/spaces/" + lea + "/switch", jean_)->status, 200);
  auto created = call("POST", "/fhir/r4/Observation", jean_,
                      R"({"resourceType":"Observation","status":"final","code":{"text":"Taille"},"valueQuantity":{"value":152,"unit":"cm"}})");
  ASSERT_EQ(created->status, 201) << created->body;
  std::string id = json::parse(created->body)["id"];
  ASSERT_EQ(call("GET", "/fhir/r4/Observation/" + id, jean_)->status, 200);
  auto seen = call("GET", "/fhir/r4/Observation?_count=5", jean_);
  ASSERT_EQ(seen->status, 200);
  EXPECT_NE(seen->body.find(id), std::string::npos) << "searched Léa's space";
  // Sophie, in her own space, is not audited (the holder's own reads).
  ASSERT_EQ(call("GET", "/fhir/r4/Observation?_count=5", sophie_)->status, 200);

  // Three events in Léa's chain (create, read, search), each naming Jean as representative.
  int code = -1;
  std::string verify = carnet_cli(d_.data_dir(), "audit verify", &code);
  EXPECT_EQ(code, 0) << verify;
  EXPECT_NE(verify.find("3 events checked, 0 problems"), std::string::npos) << verify;
  std::string rows = sql(d_.data_dir(), "SELECT actor_kind, action, outcome, resource_type "
                           "FROM audit_events WHERE space_id = '" + lea + "' ORDER BY seq");
  EXPECT_EQ(rows, "representative|create|allowed|Observation\nrepresentative|read|allowed|Observation\n"
                  "representative|search|allowed|Observation") << rows;
  // Tampering is named.
  sql(d_.data_dir(), "UPDATE audit_events SET outcome = 'denied' WHERE seq = 2 AND space_id = '" + lea + "'");
  verify = carnet_cli(d_.data_dir(), "audit verify", &code);
  EXPECT_EQ(code, 1);
  EXPECT_NE(verify.find("event 2: modified"), std::string::npos) << verify;

  // An operator: administrative actions only, never health content; the refusal is audited.
  std::string op = carnet_cli(d_.data_dir(), "operator create ops@carnet.example");
  auto field = [&](const std::string& label) {
    auto p = op.find(label);
    return p == std::string::npos ? std::string() : op.substr(p + label.size(), op.find('\n', p) - p - label.size());
  };
  std::string uri = field("TOTP:     ");
  std::string secret = uri.substr(uri.find("secret=") + 7, 32);
  auto step1 = http_request(d_.port(), "POST", "/api/v1/sign-in",
                            json{{"login", "ops@carnet.example"}, {"password", field("password: ")}}.dump(),
                            {"Content-Type: application/json"});
  ASSERT_EQ(step1->status, 200) << step1->body;
  std::string totp = shell("oathtool --totp -b " + secret);
  auto in = http_request(d_.port(), "POST", "/api/v1/sign-in/verify",
                         json{{"challenge_id", json::parse(step1->body)["challenge_id"]}, {"code", totp}, {"session", "bearer"}}.dump(),
                         {"Content-Type: application/json"});
  ASSERT_EQ(in->status, 200) << in->body;
  std::string ops = "Authorization: Bearer " + std::string(json::parse(in->body)["access_token"]);
  for (const std::string& path : {"/fhir/r4/Observation/" + id, std::string("/fhir/r4/Observation?code=x")}) {
    auto r = call("GET", path, ops);
    EXPECT_EQ(r->status, 403) << path;
    EXPECT_NE(r->body.find("operators never access health content"), std::string::npos) << r->body;
  }
  EXPECT_EQ(call("POST", "/fhir/r4/Observation", ops, R"({"resourceType":"Observation","status":"final","code":{"text":"x"}})")->status,
            403);
  EXPECT_EQ(call("GET", "/fhir/r4/Practitioner/810100000001", ops)->status, 200);  // the public directory
}

}  // namespace
}  // namespace carnet::itest

namespace carnet::itest {
namespace {

TEST_F(Fhir, DelegationsGiveTheRightsTheHolderChose) {
  auto created = call("POST", "/fhir/r4/Observation", sophie_,
                      R"({"resourceType":"Observation","status":"final","code":{"text":"Tension"}})");
  ASSERT_EQ(created->status, 201) << created->body;
  std::string id = json::parse(created->body)["id"];
  auto api = [&](const std::string& method, const std::string& path, const std::string& auth, const std::string& body = "") {
    std::vector<std::string> headers = {auth};
    if (!body.empty()) headers.push_back("Content-Type: application/json");
    return http_request(d_.port(), method, path, body, headers);
  };
  std::string sophie_space = json::parse(api("GET", "/api/v1/me", sophie_)->body)["space_id"];
  // Sophie lets Jean read her space.
  EXPECT_EQ(api("POST", "/api/v1/care/delegations", sophie_, R"({"login":"nobody@example.fr","rights":"read"})")->status, 404);
  EXPECT_EQ(api("POST", "/api/v1/care/delegations", sophie_, R"({"login":"jean.dupont@demo.carnet","rights":"all"})")->status, 400);
  ASSERT_EQ(api("POST", "/api/v1/care/delegations", sophie_, R"({"login":"Jean.Dupont@demo.carnet","rights":"read"})")->status, 204);
  EXPECT_EQ(json::parse(api("GET", "/api/v1/care/delegations", sophie_)->body)["delegations"].size(), 1u);
  bool listed = false;
  json jean_spaces = json::parse(api("GET", "/api/v1/spaces", jean_)->body);  // kept alive for the loop
  for (const auto& s : jean_spaces["spaces"]) {
    listed = listed || (s["space_id"] == sophie_space && s["role"] == "delegate");
  }
  EXPECT_TRUE(listed);
  ASSERT_EQ(api("POST", "/api/v1/spaces/" + sophie_space + "/switch", jean_)->status, 200);
  EXPECT_EQ(call("GET", "/fhir/r4/Observation/" + id, jean_)->status, 200);
  auto write = call("POST", "/fhir/r4/Observation", jean_, R"({"resourceType":"Observation","status":"final","code":{"text":"x"}})");
  EXPECT_EQ(write->status, 403);
  EXPECT_NE(write->body.find("read only"), std::string::npos) << write->body;
  // A delegate does not manage the holder's controls.
  EXPECT_EQ(api("POST", "/api/v1/care/delegations", jean_, R"({"login":"sophie.martin@demo.carnet","rights":"write"})")->status, 403);
  // Write rights, then revoked: Jean is back in his own space only.
  ASSERT_EQ(api("POST", "/api/v1/care/delegations", sophie_, R"({"login":"jean.dupont@demo.carnet","rights":"write"})")->status, 204);
  EXPECT_EQ(call("POST", "/fhir/r4/Observation", jean_, R"({"resourceType":"Observation","status":"final","code":{"text":"x"}})")->status,
            201);
  std::string jean_space = json::parse(api("GET", "/api/v1/me", jean_)->body)["space_id"];
  ASSERT_EQ(api("DELETE", "/api/v1/care/delegations/" + jean_space, sophie_)->status, 204);
  EXPECT_EQ(call("GET", "/fhir/r4/Observation/" + id, jean_)->status, 404);
  // Sophie's trail shows Jean's accesses, as a delegate acting for her space.
  json history = json::parse(api("GET", "/api/v1/care/history", sophie_)->body)["events"];
  int by_jean = 0;
  for (const auto& e : history) by_jean += e["actor_kind"] == "representative";
  EXPECT_EQ(by_jean, 3);  // read allowed, create denied, create allowed
  int code = -1;
  std::string verify = carnet_cli(d_.data_dir(), "audit verify", &code);
  EXPECT_EQ(code, 0) << verify;
}

}  // namespace
}  // namespace carnet::itest
