// The fixture of the FHIR integration tests: a demo data set, two signed-in holders (Jean
// and Sophie, each in their own space), and calls whose FHIR responses are kept in
// FHIR_CAPTURE_DIR for the independent schema check that runs after the suite
// (tests/external/validate.mjs).
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>
#include <unistd.h>

#include "tests/integration/harness.h"

namespace carnet::itest {

using namespace std::chrono_literals;
using json = nlohmann::json;

class Fhir : public ::testing::Test {
 protected:
  void SetUp() override {
    shell(std::string(CARNET_PATH) + " --data-dir " + d_.data_dir() + " demo");
    ASSERT_TRUE(d_.start(args({"--job-interval", "200ms"}))) << d_.stderr_text();
    jean_ = bearer("jean.dupont@demo.carnet", "Velo-Rouge-Montagne-26", 1);
    sophie_ = bearer("sophie.martin@demo.carnet", "Piano-Bleu-Riviere-26", 1);
  }
  // Signs in with the e-mailed code (the `nth` one-time code sent to that address after the
  // activation's).
  std::string bearer(const std::string& login, const std::string& password, int previous_codes) {
    auto step1 = http_request(d_.port(), "POST", "/api/v1/sign-in", json{{"login", login}, {"password", password}}.dump(),
                              {"Content-Type: application/json"});
    EXPECT_EQ(step1->status, 200) << step1->body;
    std::string otp;
    for (int i = 0; i < 100 && otp.empty(); ++i) {
      std::this_thread::sleep_for(50ms);
      std::ifstream in(d_.data_dir() + "/notices.jsonl");
      std::string line;
      int seen = 0;
      while (std::getline(in, line)) {
        auto j = json::parse(line);
        if (j["to"] == login && j["template"] == "one_time_code" && ++seen > previous_codes) otp = j["params"]["code"];
      }
    }
    auto in = http_request(d_.port(), "POST", "/api/v1/sign-in/verify",
                           json{{"challenge_id", json::parse(step1->body)["challenge_id"]}, {"code", otp}, {"session", "bearer"}}.dump(),
                           {"Content-Type: application/json"});
    EXPECT_EQ(in->status, 200) << in->body;
    return "Authorization: Bearer " + std::string(json::parse(in->body)["access_token"]);
  }
  std::optional<HttpResponse> call(const std::string& method, const std::string& path, const std::string& auth,
                                   const std::string& body = "", std::vector<std::string> headers = {}) {
    headers.push_back(auth);
    if (!body.empty()) headers.push_back("Content-Type: application/fhir+json");
    auto r = http_request(d_.port(), method, path, body, headers);
    if (r) capture(*r);
    return r;
  }
  // Keeps a FHIR JSON response for the external schema check.
  static void capture(const HttpResponse& r) {
    if (r.header("content-type").find("application/fhir+json") == std::string::npos || r.body.empty()) return;
    static std::atomic<int> n{0};
    std::filesystem::create_directories(FHIR_CAPTURE_DIR);
    std::string name = std::string(FHIR_CAPTURE_DIR) + "/" + ::testing::UnitTest::GetInstance()->current_test_info()->name() +
                       "-" + std::to_string(::getpid()) + "-" + std::to_string(n++) + ".json";
    std::ofstream(name) << r.body;
  }
  Carnetd d_;
  std::string jean_, sophie_;
};


}  // namespace carnet::itest
