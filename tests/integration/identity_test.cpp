// The identity journey over real processes: `carnet enrol` a file with good and bad lines,
// notices delivered to the notices file, opposition over HTTP, re-import, deadline job.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/integration/harness.h"

namespace carnet::itest {
namespace {

using namespace std::chrono_literals;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The "code" parameter of the notice sent to `to`, from the notices file.
std::string code_for(const std::string& notices, const std::string& to) {
  std::istringstream lines(notices);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.find("\"to\":\"" + to + "\"") == std::string::npos) continue;
    auto pos = line.find("\"code\":\"");
    if (pos != std::string::npos) return line.substr(pos + 8, 14);
  }
  return "";
}

const char kFile[] =
    "nir,birth_name,first_names,birth_date,sex,birthplace,email,mobile,address,representatives\n"
    "184057512345625,Dupont,Jean,1984-05-17,M,75056,jean@example.fr,,,\n"
    "285016956789044,Bernard,Chloé,1985-01-20,F,69123,chloe@example.fr,,,\n"
    "284057523456726,Martin,Sophie,1984-05-02,F,75056,,06 12 34 56 78,,\n"
    "184057512345626,Durand,Paul,1984-05-17,M,75056,paul@example.fr,,,\n"
    "112059245678946,Petit,Hugo,2012-05-09,M,92050,hugo@example.fr,,,\n";

class IdentityJourney : public ::testing::Test {
 protected:
  void SetUp() override {
    file_ = d_.dir().file("beneficiaries.csv");
    std::ofstream(file_) << kFile;
  }
  std::string enrol(const std::string& window, int* code) {
    return carnet_cli(d_.data_dir(), "enrol " + file_ +
                           " --opposition-window " + window + " --report " + d_.dir().file("report.jsonl"),
                       code);
  }
  std::string wait_for_notices(size_t at_least) {
    std::string text;
    for (int i = 0; i < 100; ++i) {
      text = read_file(d_.data_dir() + "/notices.jsonl");
      if (size_t(std::count(text.begin(), text.end(), '\n')) >= at_least) break;
      std::this_thread::sleep_for(100ms);
    }
    return text;
  }
  Carnetd d_;
  std::string file_;
};

TEST_F(IdentityJourney, EnrolNotifyOpposeReimport) {
  int code = 0;
  std::string out = enrol("42d", &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("5 lines: 3 enrolled, 0 already enrolled, 0 objected before, 2 invalid"), std::string::npos) << out;
  std::string report = read_file(d_.dir().file("report.jsonl"));
  EXPECT_NE(report.find("{\"line\":5,\"reason\":\"NIR key 26 does not match"), std::string::npos) << report;
  EXPECT_NE(report.find("\"line\":6,\"reason\":\"a minor needs at least one legal representative"), std::string::npos);

  ASSERT_TRUE(d_.start(args({"--job-interval", "500ms"}))) << d_.stderr_text();
  std::string notices = wait_for_notices(3);
  std::string jean = code_for(notices, "jean@example.fr");
  ASSERT_EQ(jean.size(), 14u) << notices;
  EXPECT_NE(notices.find("\"to\":\"+33612345678\""), std::string::npos);
  EXPECT_NE(notices.find("Votre code provisoire"), std::string::npos);

  // Wrong claims: one message for all, no hint of who is enrolled.
  auto body = [](const std::string& nir, const std::string& date, const std::string& c) {
    return "{\"nir\":\"" + nir + "\",\"birth_date\":\"" + date + "\",\"code\":\"" + c + "\"}";
  };
  const std::vector<std::string> json = {"Content-Type: application/json"};
  auto wrong_code = http_request(d_.port(), "POST", "/api/v1/opposition", body("184057512345625", "1984-05-17", "AAAA-BBBB-CCCC"), json);
  auto unknown = http_request(d_.port(), "POST", "/api/v1/opposition", body("170029913404596", "1970-02-10", jean), json);
  ASSERT_TRUE(wrong_code && unknown);
  EXPECT_EQ(wrong_code->status, 401);
  EXPECT_EQ(unknown->status, 401);
  EXPECT_EQ(wrong_code->body.substr(0, wrong_code->body.find("request_id")),
            unknown->body.substr(0, unknown->body.find("request_id")));
  // Malformed bodies change nothing.
  for (const std::string& bad : {std::string("{"), std::string("[]"), std::string("{\"nir\":1}"),
                                 "{\"nir\":\"184057512345625\",\"birth_date\":\"1984-05-17\",\"code\":\"" + jean +
                                     "\",\"admin\":\"true\"}"}) {
    auto r = http_request(d_.port(), "POST", "/api/v1/opposition", bad, json);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << bad << " " << r->body;
  }
  auto no_type = http_request(d_.port(), "POST", "/api/v1/opposition", body("184057512345625", "1984-05-17", jean));
  EXPECT_EQ(no_type->status, 400);

  auto ok = http_request(d_.port(), "POST", "/api/v1/opposition", body("1 84 05 75 123 456 25", "1984-05-17", jean), json);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
  notices = wait_for_notices(4);
  EXPECT_NE(notices.find("opposition_confirmed"), std::string::npos) << notices;

  // Re-import: nothing changes, and the objector is not enrolled again.
  out = enrol("42d", &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("0 enrolled, 2 already enrolled, 1 objected before, 2 invalid"), std::string::npos) << out;
  std::string db = d_.data_dir();
  EXPECT_EQ(sql(db, "SELECT COUNT(*) FROM spaces"), "3");
  EXPECT_EQ(sql(db, "SELECT COUNT(*) FROM spaces WHERE state = 'opposed' AND identity IS NULL"), "1");
  d_.signal(SIGTERM);
  EXPECT_EQ(d_.wait_exit(10s), 0);
}

TEST_F(IdentityJourney, DeadlineJobOpensTheSpacesOnce) {
  int code = 0;
  // Long enough for both instances to start on a loaded machine (2 s once failed there).
  std::string out = enrol("5s", &code);
  ASSERT_EQ(code, 0) << out;
  ASSERT_TRUE(d_.start(args({"--job-interval", "500ms"}))) << d_.stderr_text();
  // A second instance on the same database: the job must still run once per period.
  Carnetd second;
  ASSERT_TRUE(second.start(args({"--data-dir", d_.data_dir(), "--job-interval", "500ms"}))) << second.stderr_text();
  std::string db = d_.data_dir();
  EXPECT_EQ(sql(db, "SELECT COUNT(*) FROM spaces WHERE state = 'notified'"), "3");
  std::string opened;
  for (int i = 0; i < 150 && opened != "3"; ++i) {
    std::this_thread::sleep_for(100ms);
    opened = sql(db, "SELECT COUNT(*) FROM spaces WHERE state = 'open'");
  }
  EXPECT_EQ(opened, "3");
  std::string notices = wait_for_notices(3);
  EXPECT_EQ(std::count(notices.begin(), notices.end(), '\n'), 3) << notices;  // each notice once
  // Too late to object now.
  std::string jean = code_for(notices, "jean@example.fr");
  auto late = http_request(d_.port(), "POST", "/api/v1/opposition",
                           "{\"nir\":\"184057512345625\",\"birth_date\":\"1984-05-17\",\"code\":\"" + jean + "\"}",
                           {"Content-Type: application/json"});
  ASSERT_TRUE(late);
  EXPECT_EQ(late->status, 409) << late->body;
}

}  // namespace
}  // namespace carnet::itest
