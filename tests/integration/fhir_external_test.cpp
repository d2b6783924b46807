// The API exercised by an independent FHIR client library from npm (fhir-kit-client, via
// tests/external/client.mjs): create, read, vread, update, history, search with paging,
// _summary=count, transactions with urn:uuid: references and rollback, delete then 410.
// Every resource it receives is also checked against the R4 JSON schema.
#include "tests/integration/fhir_fixture.h"

namespace carnet::itest {
namespace {

TEST_F(Fhir, IndependentFhirClientLibrary) {
  std::string patient = own_patient(jean_, json::parse(R"({"resourceType":"Patient","gender":"male"})"));
  std::string token = jean_.substr(std::string("Authorization: Bearer ").size());
  int code = -1;
  std::string out = shell("cd " + std::string(SOURCE_DIR) + "/tests/external && CARNET_FHIR_BASE=http://127.0.0.1:" +
                              std::to_string(d_.port()) + "/fhir/r4 CARNET_TOKEN=" + token + " CARNET_PATIENT=" + patient +
                              " node client.mjs",
                          &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("0 failed"), std::string::npos) << out;
}

}  // namespace
}  // namespace carnet::itest
