// Activation (TOTP and e-mailed code), sign-in, sessions and brute force, over real HTTP.
// TOTP codes come from oathtool, an independent RFC 6238 implementation.
#include <gtest/gtest.h>
#include <signal.h>

#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "tests/integration/harness.h"

namespace carnet::itest {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

const char kFile[] =
    "nir,birth_name,first_names,birth_date,sex,birthplace,email,mobile,representatives\n"
    "184057512345625,Dupont,Jean,1984-05-17,M,75056,jean@example.fr,,\n"
    "285016956789044,Bernard,Chloé,1985-01-20,F,69123,chloe@example.fr,,\n"
    "284057523456726,Martin,Sophie,1984-05-02,F,75056,sophie@example.fr,0612345678,\n"
    "210057534567817,Dupont,Léa,2010-05-03,F,75056,jean@example.fr,,184057512345625;284057523456726\n";

class SignIn : public ::testing::Test {
 protected:
  // A fresh server and data directory for each test: tests activate the same people.
  void SetUp() override {
    d_ = new Carnetd();
    std::ofstream(d_->dir().file("file.csv")) << kFile;
    carnet_cli(d_->data_dir(), "enrol " + d_->dir().file("file.csv"));
    ASSERT_TRUE(d_->start(args({"--job-interval", "200ms", "--argon2-ops", "1", "--argon2-memory-mib", "8",
                                "--lockout-free-failures", "5", "--lockout-max", "2s"})))
        << d_->stderr_text();
  }
  void TearDown() override {
    delete d_;
    d_ = nullptr;
  }
  static std::string notices() {
    std::ifstream in(d_->data_dir() + "/notices.jsonl");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  // The last notice to `to` with template `tmpl`, waiting for delivery.
  static json notice(const std::string& to, const std::string& tmpl, size_t skip = 0) {
    for (int i = 0; i < 100; ++i) {
      std::istringstream lines(notices());
      std::string line;
      std::vector<json> found;
      while (std::getline(lines, line)) {
        auto j = json::parse(line);
        if (j["to"] == to && j["template"] == tmpl) found.push_back(j);
      }
      if (found.size() > skip) return found.back();
      std::this_thread::sleep_for(50ms);
    }
    return json();
  }
  static std::optional<HttpResponse> post(const std::string& path, const json& body,
                                          std::vector<std::string> headers = {}) {
    headers.push_back("Content-Type: application/json");
    return http_request(d_->port(), "POST", path, body.dump(), headers);
  }
  static std::string cookie_of(const HttpResponse& r) {
    std::string c = r.header("set-cookie");
    return c.substr(0, c.find(';'));
  }
  static Carnetd* d_;
};
Carnetd* SignIn::d_ = nullptr;

TEST_F(SignIn, TotpActivationSignInSessionsAndSignOut) {
  std::string code = notice("jean@example.fr", "enrolment_notice")["params"]["code"];
  ASSERT_EQ(code.size(), 14u);
  json claim = {{"nir", "184057512345625"}, {"birth_date", "1984-05-17"}, {"code", code},
                {"login", "Jean.Dupont@Example.fr"}, {"second_factor", "totp"}};
  // The password policy, before anything is created.
  for (const char* weak : {"short", "motdepasse123", "jean.dupont-1984!"}) {
    claim["password"] = weak;
    auto r = post("/api/v1/activation", claim);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << weak << " " << r->body;
  }
  claim["password"] = "cheval agrafe batterie";
  auto start = post("/api/v1/activation", claim);
  ASSERT_TRUE(start);
  ASSERT_EQ(start->status, 200) << start->body;
  json s = json::parse(start->body);
  std::string uri = s["otpauth_uri"];
  EXPECT_EQ(uri.rfind("otpauth://totp/Carnet:jean.dupont%40example.fr?secret=", 0), 0u) << uri;
  EXPECT_EQ(std::string(s["qr_svg"]).rfind("<svg", 0), 0u);
  std::string secret = uri.substr(uri.find("secret=") + 7, 32);

  auto wrong = post("/api/v1/activation/confirm", {{"activation_id", s["activation_id"]}, {"code", "000000"}});
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  std::string first_code = totp(secret);
  auto done = post("/api/v1/activation/confirm", {{"activation_id", s["activation_id"]}, {"code", first_code}});
  ASSERT_TRUE(done);
  ASSERT_EQ(done->status, 200) << done->body;
  json a = json::parse(done->body);
  EXPECT_EQ(a["recovery_codes"].size(), 10u);
  EXPECT_FALSE(a.contains("access_token"));  // cookie sessions never expose their token
  std::string set_cookie = done->header("set-cookie");
  EXPECT_NE(set_cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(set_cookie.find("SameSite=Strict"), std::string::npos);
  EXPECT_EQ(set_cookie.find("Secure"), std::string::npos);  // plain HTTP here; TLS adds it
  std::string cookie = "Cookie: " + cookie_of(*done);
  std::string csrf = "X-CSRF-Token: " + std::string(a["csrf_token"]);

  auto me = http_get(d_->port(), "/api/v1/me", {cookie});
  ASSERT_TRUE(me);
  EXPECT_EQ(me->status, 200) << me->body;
  EXPECT_EQ(json::parse(me->body)["kind"], "holder");
  // The provisional code is used up.
  auto again = post("/api/v1/activation", claim);
  EXPECT_EQ(again->status, 401);

  // Sign-in: the activation's TOTP code cannot be replayed; the next step's code works.
  auto unknown = post("/api/v1/sign-in", {{"login", "nobody@example.fr"}, {"password", "cheval agrafe batterie"}});
  auto bad_pw = post("/api/v1/sign-in", {{"login", "jean.dupont@example.fr"}, {"password", "wrong password!!"}});
  ASSERT_TRUE(unknown && bad_pw);
  EXPECT_EQ(unknown->status, 401);
  EXPECT_EQ(bad_pw->status, 401);
  EXPECT_EQ(json::parse(unknown->body)["message"], json::parse(bad_pw->body)["message"]);
  auto step1 = post("/api/v1/sign-in", {{"login", "jean.dupont@example.fr"}, {"password", "cheval agrafe batterie"}});
  ASSERT_EQ(step1->status, 200) << step1->body;
  json c = json::parse(step1->body);
  EXPECT_EQ(c["second_factor"], "totp");
  auto replay = post("/api/v1/sign-in/verify", {{"challenge_id", c["challenge_id"]}, {"code", first_code}});
  EXPECT_EQ(replay->status, 401);
  auto signed_in = post("/api/v1/sign-in/verify",
                        {{"challenge_id", c["challenge_id"]}, {"code", totp(secret, 30)}, {"session", "bearer"}});
  ASSERT_EQ(signed_in->status, 200) << signed_in->body;
  json b = json::parse(signed_in->body);
  std::string bearer = "Authorization: Bearer " + std::string(b["access_token"]);
  EXPECT_EQ(http_get(d_->port(), "/api/v1/me", {bearer})->status, 200);

  // Sessions: two live; unsafe methods with the cookie need the CSRF token.
  auto list = http_get(d_->port(), "/api/v1/sessions", {bearer});
  ASSERT_EQ(list->status, 200);
  json sessions = json::parse(list->body)["sessions"];
  ASSERT_EQ(sessions.size(), 2u) << list->body;
  std::string cookie_session = a["session_id"];
  auto no_csrf = http_request(d_->port(), "DELETE", "/api/v1/sessions/" + cookie_session, "", {cookie});
  EXPECT_EQ(no_csrf->status, 403);
  auto wrong_csrf = http_request(d_->port(), "DELETE", "/api/v1/sessions/" + cookie_session, "", {cookie, "X-CSRF-Token: nope"});
  EXPECT_EQ(wrong_csrf->status, 403);
  auto revoke = http_request(d_->port(), "DELETE", "/api/v1/sessions/" + cookie_session, "", {bearer});
  EXPECT_EQ(revoke->status, 204);
  EXPECT_EQ(http_get(d_->port(), "/api/v1/me", {cookie})->status, 401);
  EXPECT_EQ(http_request(d_->port(), "DELETE", "/api/v1/sessions/" + cookie_session, "", {bearer})->status, 404);

  auto out = http_request(d_->port(), "POST", "/api/v1/sign-out", "", {bearer});
  EXPECT_EQ(out->status, 204);
  EXPECT_EQ(http_get(d_->port(), "/api/v1/me", {bearer})->status, 401);

  // A recovery code works once.
  auto step2 = post("/api/v1/sign-in", {{"login", "jean.dupont@example.fr"}, {"password", "cheval agrafe batterie"}});
  json c2 = json::parse(step2->body);
  std::string recovery = a["recovery_codes"][0];
  EXPECT_EQ(post("/api/v1/sign-in/verify", {{"challenge_id", c2["challenge_id"]}, {"code", recovery}})->status, 200);
  auto step3 = post("/api/v1/sign-in", {{"login", "jean.dupont@example.fr"}, {"password", "cheval agrafe batterie"}});
  json c3 = json::parse(step3->body);
  EXPECT_EQ(post("/api/v1/sign-in/verify", {{"challenge_id", c3["challenge_id"]}, {"code", recovery}})->status, 401);
}

TEST_F(SignIn, EmailCodeActivationAndSignIn) {
  std::string code = notice("chloe@example.fr", "enrolment_notice")["params"]["code"];
  auto start = post("/api/v1/activation", {{"nir", "285016956789044"}, {"birth_date", "1985-01-20"}, {"code", code},
                                           {"login", "chloe@example.fr"}, {"password", "Trois petits chats blancs"},
                                           {"second_factor", "email"}});
  ASSERT_EQ(start->status, 200) << start->body;
  json s = json::parse(start->body);
  EXPECT_FALSE(s.contains("otpauth_uri"));
  std::string otp = notice("chloe@example.fr", "one_time_code")["params"]["code"];
  ASSERT_EQ(otp.size(), 6u);
  auto done = post("/api/v1/activation/confirm", {{"activation_id", s["activation_id"]}, {"code", otp}, {"session", "bearer"}});
  ASSERT_EQ(done->status, 200) << done->body;
  // Sign in with a code e-mailed for this sign-in; the activation's code is no good.
  auto step1 = post("/api/v1/sign-in", {{"login", "chloe@example.fr"}, {"password", "Trois petits chats blancs"}});
  ASSERT_EQ(step1->status, 200);
  json c = json::parse(step1->body);
  EXPECT_EQ(c["second_factor"], "email");
  std::string fresh = notice("chloe@example.fr", "one_time_code", 1)["params"]["code"];
  EXPECT_EQ(post("/api/v1/sign-in/verify", {{"challenge_id", c["challenge_id"]}, {"code", otp == fresh ? "999999" : otp}})->status, 401);
  EXPECT_EQ(post("/api/v1/sign-in/verify", {{"challenge_id", c["challenge_id"]}, {"code", fresh}})->status, 200);
}

TEST_F(SignIn, BruteForceIsThrottledAndTheHolderGetsBackIn) {
  std::string code = notice("sophie@example.fr", "enrolment_notice")["params"]["code"];
  auto start = post("/api/v1/activation", {{"nir", "284057523456726"}, {"birth_date", "1984-05-02"}, {"code", code},
                                           {"login", "sophie@example.fr"}, {"password", "La mer est bleue ce matin"},
                                           {"second_factor", "sms"}});
  ASSERT_EQ(start->status, 200) << start->body;
  std::string otp = notice("+33612345678", "one_time_code")["params"]["code"];
  ASSERT_EQ(post("/api/v1/activation/confirm", {{"activation_id", json::parse(start->body)["activation_id"]}, {"code", otp}})->status, 200);

  // 1,000 wrong passwords on one keep-alive connection: no success, and back-off (429).
  Conn conn(d_->port());
  int ok = 0, unauthorized = 0, throttled = 0;
  for (int i = 0; i < 1000; ++i) {
    std::string body = json{{"login", "sophie@example.fr"}, {"password", "guess number " + std::to_string(i)}}.dump();
    ASSERT_TRUE(conn.send("POST /api/v1/sign-in HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\n\r\n" + body));
    auto r = conn.read_response();
    ASSERT_TRUE(r);
    if (r->status == 200) ok++;
    if (r->status == 401) unauthorized++;
    if (r->status == 429) throttled++;
  }
  EXPECT_EQ(ok, 0);
  EXPECT_GE(throttled, 900) << unauthorized;
  EXPECT_GE(unauthorized, 5);
  // Across accounts from the same address: blocked as well.
  auto other = post("/api/v1/sign-in", {{"login", "jean.dupont@example.fr"}, {"password", "cheval agrafe batterie"}});
  EXPECT_EQ(other->status, 429) << other->body;
  // Wrong codes on a valid challenge count too; none succeeds.
  std::this_thread::sleep_for(2500ms);  // the lock period (--lockout-max 2s) ends
  auto step1 = post("/api/v1/sign-in", {{"login", "sophie@example.fr"}, {"password", "La mer est bleue ce matin"}});
  ASSERT_EQ(step1->status, 200) << step1->body;
  json c = json::parse(step1->body);
  EXPECT_EQ(c["second_factor"], "sms");
  std::string sms = notice("+33612345678", "one_time_code", 1)["params"]["code"];
  auto in = post("/api/v1/sign-in/verify", {{"challenge_id", c["challenge_id"]}, {"code", sms}});
  EXPECT_EQ(in->status, 200) << in->body;
}

TEST_F(SignIn, ParentSwitchesToTheChildsSpaceAndInvitesTheOtherParent) {
  std::string code = notice("jean@example.fr", "enrolment_notice")["params"]["code"];
  auto start = post("/api/v1/activation", {{"nir", "184057512345625"}, {"birth_date", "1984-05-17"}, {"code", code},
                                           {"login", "jean@example.fr"}, {"password", "Un parent tres organise"},
                                           {"second_factor", "email"}});
  ASSERT_EQ(start->status, 200) << start->body;
  std::string otp = notice("jean@example.fr", "one_time_code")["params"]["code"];
  auto done = post("/api/v1/activation/confirm",
                   {{"activation_id", json::parse(start->body)["activation_id"]}, {"code", otp}, {"session", "bearer"}});
  ASSERT_EQ(done->status, 200) << done->body;
  std::string bearer = "Authorization: Bearer " + std::string(json::parse(done->body)["access_token"]);

  auto spaces = http_get(d_->port(), "/api/v1/spaces", {bearer});
  ASSERT_EQ(spaces->status, 200) << spaces->body;
  json list = json::parse(spaces->body)["spaces"];
  ASSERT_EQ(list.size(), 2u) << spaces->body;
  EXPECT_EQ(list[0]["role"], "holder");
  EXPECT_EQ(list[1]["role"], "representative");
  EXPECT_EQ(list[1]["first_name"], "LEA");
  std::string child = list[1]["space_id"];

  EXPECT_EQ(http_request(d_->port(), "POST", "/api/v1/spaces/" + child + "/switch", "", {bearer})->status, 200);
  EXPECT_EQ(json::parse(http_get(d_->port(), "/api/v1/me", {bearer})->body)["acting_space_id"], child);
  // Not someone else's space.
  auto stranger = http_request(d_->port(), "POST", "/api/v1/spaces/00000000-0000-7000-8000-000000000000/switch", "", {bearer});
  EXPECT_EQ(stranger->status, 404);

  auto invite = http_request(d_->port(), "POST", "/api/v1/spaces/" + child + "/invitations",
                             json{{"email", "sophie.martin@example.fr"}}.dump(), {bearer, "Content-Type: application/json"});
  EXPECT_EQ(invite->status, 202) << invite->body;
  EXPECT_EQ(notice("sophie.martin@example.fr", "representative_invitation")["subject"],
            "Vous êtes invité(e) à gérer l'espace santé Carnet de LEA");

  // The child cannot activate their own space before 18.
  std::string child_code = notice("jean@example.fr", "enrolment_notice_minor")["params"]["code"];
  auto minor = post("/api/v1/activation", {{"nir", "210057534567817"}, {"birth_date", "2010-05-03"}, {"code", child_code},
                                           {"login", "lea@example.fr"}, {"password", "Une ado tres organisee"},
                                           {"second_factor", "email"}});
  EXPECT_EQ(minor->status, 403) << minor->body;
}

TEST_F(SignIn, OperatorUploadsAFileAndRegeneratesACode) {
  std::string created = carnet_cli(d_->data_dir(), "operator create ops@carnet.example");
  auto field = [&](const std::string& label) {
    auto p = created.find(label);
    return p == std::string::npos ? std::string() : created.substr(p + label.size(), created.find('\n', p) - p - label.size());
  };
  std::string password = field("password: "), uri = field("TOTP:     ");
  ASSERT_FALSE(password.empty()) << created;
  std::string secret = uri.substr(uri.find("secret=") + 7, 32);
  auto step1 = post("/api/v1/sign-in", {{"login", "ops@carnet.example"}, {"password", password}});
  ASSERT_EQ(step1->status, 200) << step1->body;
  auto in = post("/api/v1/sign-in/verify",
                 {{"challenge_id", json::parse(step1->body)["challenge_id"]}, {"code", totp(secret)}, {"session", "bearer"}});
  ASSERT_EQ(in->status, 200) << in->body;
  std::string bearer = "Authorization: Bearer " + std::string(json::parse(in->body)["access_token"]);

  std::string csv = "nir,birth_name,first_names,birth_date,sex,birthplace,email\n"
                    "112059245678946,Petit,Hugo,2012-05-09,M,92050,hugo@example.fr\n"
                    "170029913404596,Garcia,Pablo,1970-02-10,M,99134,pablo@example.fr\n";
  auto upload = http_request(d_->port(), "POST", "/api/v1/operator/enrolments", csv, {bearer, "Content-Type: text/csv"});
  ASSERT_EQ(upload->status, 200) << upload->body;
  EXPECT_EQ(upload->header("content-type"), "application/x-ndjson");
  EXPECT_NE(upload->body.find("\"line\":2,\"reason\":\"a minor needs at least one legal representative"), std::string::npos)
      << upload->body;
  EXPECT_NE(upload->body.find("\"line\":3,\"space_id\""), std::string::npos);
  EXPECT_NE(upload->body.find("{\"summary\":{\"already_enrolled\":0,\"enrolled\":1,\"invalid\":1,\"lines\":2,\"objected\":0}}"),
            std::string::npos)
      << upload->body;
  EXPECT_EQ(http_request(d_->port(), "POST", "/api/v1/operator/enrolments", csv, {bearer, "Content-Type: text/plain"})->status, 415);

  // A new code at the person's request: the old one stops working.
  std::string old_code = notice("pablo@example.fr", "enrolment_notice")["params"]["code"];
  auto regen = post("/api/v1/operator/provisional-codes", {{"nir", "170029913404596"}}, {bearer});
  EXPECT_EQ(regen->status, 200) << regen->body;
  std::string new_code = notice("pablo@example.fr", "new_code")["params"]["code"];
  ASSERT_EQ(new_code.size(), 14u);
  json claim = {{"nir", "170029913404596"}, {"birth_date", "1970-02-10"}, {"login", "pablo@example.fr"},
                {"password", "Un soleil sur Madrid ce soir"}, {"second_factor", "email"}};
  claim["code"] = old_code;
  EXPECT_EQ(post("/api/v1/activation", claim)->status, 401);
  claim["code"] = new_code;
  EXPECT_EQ(post("/api/v1/activation", claim)->status, 200);
  EXPECT_EQ(post("/api/v1/operator/provisional-codes", {{"nir", "184057512345626"}}, {bearer})->status, 400);

  // Holders are not operators; nobody unauthenticated is either.
  std::string code = notice("jean@example.fr", "enrolment_notice")["params"]["code"];
  auto start = post("/api/v1/activation", {{"nir", "184057512345625"}, {"birth_date", "1984-05-17"}, {"code", code},
                                           {"login", "jean@example.fr"}, {"password", "Un parent tres organise"},
                                           {"second_factor", "email"}});
  std::string otp = notice("jean@example.fr", "one_time_code")["params"]["code"];
  auto holder = post("/api/v1/activation/confirm",
                     {{"activation_id", json::parse(start->body)["activation_id"]}, {"code", otp}, {"session", "bearer"}});
  std::string holder_bearer = "Authorization: Bearer " + std::string(json::parse(holder->body)["access_token"]);
  EXPECT_EQ(http_request(d_->port(), "POST", "/api/v1/operator/enrolments", csv, {holder_bearer, "Content-Type: text/csv"})->status, 403);
  EXPECT_EQ(http_request(d_->port(), "POST", "/api/v1/operator/enrolments", csv, {"Content-Type: text/csv"})->status, 401);
}

TEST_F(SignIn, ProfessionalsJoinByInvitationOrSelfService) {
  std::string imported = carnet_cli(d_->data_dir(), "directory import " +
                               std::string(SOURCE_DIR) + "/src/identity/data/rpps-demo.txt");
  ASSERT_NE(imported.find("\"created\":3"), std::string::npos) << imported;
  // Self-service: only to an address the directory lists; the answer is the same either way.
  auto unlisted = post("/api/v1/professionals/invitation-requests", {{"idnatps", "810100000003"}, {"email", "attacker@example.fr"}});
  auto listed = post("/api/v1/professionals/invitation-requests", {{"idnatps", "810100000003"}, {"email", "Julie.Leroy@demo.carnet"}});
  auto unknown = post("/api/v1/professionals/invitation-requests", {{"idnatps", "899999999999"}, {"email", "julie.leroy@demo.carnet"}});
  EXPECT_EQ(unlisted->status, 202);
  EXPECT_EQ(listed->status, 202);
  EXPECT_EQ(unknown->status, 202);
  json invitation = notice("julie.leroy@demo.carnet", "professional_invitation");
  ASSERT_FALSE(invitation.is_null());
  EXPECT_EQ(notices().find("attacker@example.fr"), std::string::npos);

  auto start = post("/api/v1/professionals/activation", {{"invitation", invitation["params"]["invitation"]},
                                                         {"password", "Soins a domicile tous les jours"},
                                                         {"second_factor", "totp"}});
  ASSERT_EQ(start->status, 200) << start->body;
  json s = json::parse(start->body);
  std::string uri = s["otpauth_uri"];
  std::string secret = uri.substr(uri.find("secret=") + 7, 32);
  auto done = post("/api/v1/activation/confirm", {{"activation_id", s["activation_id"]}, {"code", totp(secret)}, {"session", "bearer"}});
  ASSERT_EQ(done->status, 200) << done->body;
  auto me = http_get(d_->port(), "/api/v1/me", {"Authorization: Bearer " + std::string(json::parse(done->body)["access_token"])});
  json m = json::parse(me->body);
  EXPECT_EQ(m["kind"], "professional");
  EXPECT_EQ(m["idnatps"], "810100000003");
  EXPECT_EQ(m["space_id"], "");
  // The invitation is used up; a second account for the same professional is refused.
  EXPECT_EQ(post("/api/v1/professionals/activation", {{"invitation", invitation["params"]["invitation"]},
                                                      {"password", "Soins a domicile tous les jours"},
                                                      {"second_factor", "email"}})->status, 401);

  // Operator invitation for the GP; not for someone absent from the directory.
  std::string created = carnet_cli(d_->data_dir(), "operator create ops@carnet.example");
  std::string password = created.substr(created.find("password: ") + 10, 24);
  std::string op_uri = created.substr(created.find("TOTP:     ") + 10);
  std::string op_secret = op_uri.substr(op_uri.find("secret=") + 7, 32);
  auto step1 = post("/api/v1/sign-in", {{"login", "ops@carnet.example"}, {"password", password}});
  auto in = post("/api/v1/sign-in/verify", {{"challenge_id", json::parse(step1->body)["challenge_id"]}, {"code", totp(op_secret)},
                                            {"session", "bearer"}});
  ASSERT_EQ(in->status, 200) << in->body;
  std::string bearer = "Authorization: Bearer " + std::string(json::parse(in->body)["access_token"]);
  EXPECT_EQ(post("/api/v1/operator/professional-invitations", {{"idnatps", "810100000001"}, {"email", "c.martin@demo.carnet"}}, {bearer})->status, 202);
  EXPECT_FALSE(notice("c.martin@demo.carnet", "professional_invitation").is_null());
  EXPECT_EQ(post("/api/v1/operator/professional-invitations", {{"idnatps", "899999999999"}, {"email", "x@demo.carnet"}}, {bearer})->status, 404);
  EXPECT_EQ(post("/api/v1/operator/professional-invitations", {{"idnatps", "810100000003"}, {"email", "x@demo.carnet"}}, {bearer})->status, 409);
}

TEST(Delivery, OneTimeCodesLeaveAtOnceNotAtTheNextJob) {
  Carnetd d;
  carnet_cli(d.data_dir(), "demo");
  ASSERT_TRUE(d.start(args({"--job-interval", "1h"}))) << d.stderr_text();
  auto step1 = http_request(d.port(), "POST", "/api/v1/sign-in",
                            json{{"login", "sophie.martin@demo.carnet"}, {"password", "Piano-Bleu-Riviere-26"}}.dump(),
                            {"Content-Type: application/json"});
  ASSERT_EQ(step1->status, 200) << step1->body;
  auto start = std::chrono::steady_clock::now();
  int codes = 0;
  while (std::chrono::steady_clock::now() - start < 3s && codes < 2) {
    std::this_thread::sleep_for(20ms);
    std::ifstream in(d.data_dir() + "/notices.jsonl");
    std::string line;
    codes = 0;
    while (std::getline(in, line)) {
      codes += line.find("sophie.martin@demo.carnet") != std::string::npos && line.find("one_time_code") != std::string::npos;
    }
  }
  EXPECT_EQ(codes, 2);  // the activation's (delivered by the first job run) and this sign-in's
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST(Demo, MakeRunDataSetSignsIn) {
  Carnetd d;
  std::string out = carnet_cli(d.data_dir(), "demo");
  ASSERT_NE(out.find("jean.dupont@demo.carnet  /  Velo-Rouge-Montagne-26"), std::string::npos) << out;
  ASSERT_TRUE(d.start(args({"--job-interval", "200ms"}))) << d.stderr_text();
  auto step1 = http_request(d.port(), "POST", "/api/v1/sign-in",
                            json{{"login", "jean.dupont@demo.carnet"}, {"password", "Velo-Rouge-Montagne-26"}}.dump(),
                            {"Content-Type: application/json"});
  ASSERT_EQ(step1->status, 200) << step1->body;
  std::string otp;
  for (int i = 0; i < 100 && otp.empty(); ++i) {
    std::this_thread::sleep_for(50ms);
    std::ifstream in(d.data_dir() + "/notices.jsonl");
    std::string line;
    while (std::getline(in, line)) {
      auto j = json::parse(line);
      if (j["to"] == "jean.dupont@demo.carnet" && j["template"] == "one_time_code") otp = j["params"]["code"];
    }
    // The activation's code came first; wait for the sign-in's (the third for Jean).
    if (!otp.empty()) {
      std::ifstream again(d.data_dir() + "/notices.jsonl");
      int count = 0;
      while (std::getline(again, line)) count += line.find("jean.dupont@demo.carnet") != std::string::npos &&
                                               line.find("one_time_code") != std::string::npos;
      if (count < 2) otp.clear();
    }
  }
  ASSERT_EQ(otp.size(), 6u);
  auto in = http_request(d.port(), "POST", "/api/v1/sign-in/verify",
                         json{{"challenge_id", json::parse(step1->body)["challenge_id"]}, {"code", otp}, {"session", "bearer"}}.dump(),
                         {"Content-Type: application/json"});
  ASSERT_EQ(in->status, 200) << in->body;
  auto spaces = http_get(d.port(), "/api/v1/spaces", {"Authorization: Bearer " + std::string(json::parse(in->body)["access_token"])});
  EXPECT_EQ(json::parse(spaces->body)["spaces"].size(), 2u) << spaces->body;
}

}  // namespace
}  // namespace carnet::itest
