// The fixture of the FHIR integration tests: a demo data set, two signed-in holders (Jean
// and Sophie, each in their own space), and calls whose FHIR responses are kept in
// FHIR_CAPTURE_DIR for the independent schema check that runs after the suite
// (tests/external/validate.mjs).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <filesystem>
#include <fstream>
#include <map>
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
    carnet_cli(d_.data_dir(), "demo");
    std::vector<std::string> flags = {"--job-interval", "200ms"};
    for (auto& f : extra_flags()) flags.push_back(f);
    ASSERT_TRUE(d_.start(args(flags))) << d_.stderr_text();
    jean_ = bearer("jean.dupont@demo.carnet", "Velo-Rouge-Montagne-26", 1);
    sophie_ = bearer("sophie.martin@demo.carnet", "Piano-Bleu-Riviere-26", 1);
  }
  virtual std::vector<std::string> extra_flags() const { return {}; }
  // Signs in with the e-mailed code (the `nth` one-time code sent to that address after the
  // activation's), through `port` (default: the instance's own).
  std::string bearer(const std::string& login, const std::string& password, int previous_codes, int port = 0) {
    if (port == 0) port = d_.port();
    auto step1 = http_request(port, "POST", "/api/v1/sign-in", json{{"login", login}, {"password", password}}.dump(),
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
    auto in = http_request(port, "POST", "/api/v1/sign-in/verify",
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
  // A professional of the demo directory activates their account (self-service invitation by
  // the e-mail the directory lists, TOTP) and gets a bearer token.
  // A professional of the demo data set (`carnet demo` gives them accounts with an e-mailed
  // second factor) signed in with a bearer session.
  std::string professional(const std::string& idnatps, const std::string& email) {
    static const std::map<std::string, std::pair<std::string, std::string>> kDemo = {
        {"cabinet.martin@demo.carnet", {"810100000001", "Stetho-Vert-Colline-26"}},
        {"pharmacie.terreaux@demo.carnet", {"810100000002", "Mortier-Blanc-Saone-26"}},
        {"julie.leroy@demo.carnet", {"810100000003", "Seringue-Jaune-Rhone-26"}}};
    auto it = kDemo.find(email);
    EXPECT_TRUE(it != kDemo.end() && it->second.first == idnatps) << email;
    if (it == kDemo.end()) return "";
    int sent = 0;
    std::ifstream in(d_.data_dir() + "/notices.jsonl");
    std::string line;
    while (std::getline(in, line)) {
      auto j = json::parse(line);
      sent += j["to"] == email && j["template"] == "one_time_code";
    }
    // The demo's activation code comes first (maybe not yet delivered by the job).
    return bearer(email, it->second.second, std::max(sent, 1));
  }
  std::optional<HttpResponse> api(const std::string& method, const std::string& path, const std::string& auth,
                                  const std::string& body = "") {
    std::vector<std::string> headers = {auth};
    if (!body.empty()) headers.push_back("Content-Type: application/json");
    return http_request(d_.port(), method, path, body, headers);
  }
  // Writes the caller's own Patient (Patient/<their space id>, the one Patient of their
  // record) and returns its reference.
  std::string own_patient(const std::string& auth, json patient) {
    auto me = api("GET", "/api/v1/me", auth);
    EXPECT_EQ(me->status, 200) << me->body;
    std::string space = json::parse(me->body)["acting_space_id"];
    patient["id"] = space;
    auto p = call("PUT", "/fhir/r4/Patient/" + space, auth, patient.dump());
    EXPECT_TRUE(p->status == 200 || p->status == 201) << p->body;
    return "Patient/" + space;
  }
  int notices(const std::string& template_id) {
    std::ifstream in(d_.data_dir() + "/notices.jsonl");
    std::string line;
    int n = 0;
    while (std::getline(in, line)) n += json::parse(line)["template"] == template_id;
    return n;
  }
  Carnetd d_;
  std::string jean_, sophie_;
};


}  // namespace carnet::itest
