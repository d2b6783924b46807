// What the web portal needs from /api/v1 besides health data, over real HTTP: a forgotten
// password reset with an e-mailed code (the second factor still asked afterwards), a password
// change ending the other sessions, /me giving a cookie session's CSRF token back after a page
// reload and the previous visit, and the operator's counts, access matrix and directory import.
#include <gtest/gtest.h>

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
    "nir,birth_name,first_names,birth_date,sex,birthplace,email\n"
    "184057512345625,Dupont,Jean,1984-05-17,M,75056,jean@example.fr\n"
    "285016956789044,Bernard,Chloé,1985-01-20,F,69123,chloe@example.fr\n";

class Portal : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(d_.dir().file("file.csv")) << kFile;
    carnet_cli(d_.data_dir(), "enrol " + d_.dir().file("file.csv"));
    ASSERT_TRUE(d_.start(args({"--job-interval", "200ms", "--argon2-ops", "1", "--argon2-memory-mib", "8",
                               "--lockout-free-failures", "5", "--lockout-max", "2s"})))
        << d_.stderr_text();
  }
  std::vector<json> notices(const std::string& to, const std::string& tmpl) {
    std::ifstream in(d_.data_dir() + "/notices.jsonl");
    std::string line;
    std::vector<json> found;
    while (std::getline(in, line)) {
      auto j = json::parse(line);
      if (j["to"] == to && j["template"] == tmpl) found.push_back(j);
    }
    return found;
  }
  // The `n`th notice (0-based) of this kind to `to`, waiting for delivery.
  json notice(const std::string& to, const std::string& tmpl, size_t n = 0) {
    for (int i = 0; i < 100; ++i) {
      auto found = notices(to, tmpl);
      if (found.size() > n) return found[n];
      std::this_thread::sleep_for(50ms);
    }
    return json();
  }
  std::optional<HttpResponse> post(const std::string& path, const json& body, std::vector<std::string> headers = {}) {
    headers.push_back("Content-Type: application/json");
    return http_request(d_.port(), "POST", path, body.dump(), headers);
  }
  // Activates the enrolled person with an e-mailed code; returns the answer of the confirmation.
  json activate(const std::string& nir, const std::string& birth, const std::string& email, const std::string& password,
                const std::string& session = "bearer") {
    std::string code = notice(email, "enrolment_notice")["params"]["code"];
    auto start = post("/api/v1/activation", {{"nir", nir}, {"birth_date", birth}, {"code", code}, {"login", email},
                                             {"password", password}, {"second_factor", "email"}});
    EXPECT_EQ(start->status, 200) << start->body;
    std::string otp = notice(email, "one_time_code")["params"]["code"];
    auto done = post("/api/v1/activation/confirm",
                     {{"activation_id", json::parse(start->body)["activation_id"]}, {"code", otp}, {"session", session}});
    EXPECT_EQ(done->status, 200) << done->body;
    json out = json::parse(done->body);
    out["cookie"] = done->header("set-cookie").substr(0, done->header("set-cookie").find(';'));
    return out;
  }
  // Password then the `nth` e-mailed code: the answer of /sign-in/verify (status and body).
  std::optional<HttpResponse> sign_in(const std::string& login, const std::string& password, size_t nth_code,
                                      const std::string& session = "bearer") {
    auto step1 = post("/api/v1/sign-in", {{"login", login}, {"password", password}});
    if (!step1 || step1->status != 200) return step1;
    std::string otp = notice(login, "one_time_code", nth_code)["params"]["code"];
    return post("/api/v1/sign-in/verify",
                {{"challenge_id", json::parse(step1->body)["challenge_id"]}, {"code", otp}, {"session", session}});
  }
  static std::string bearer(const json& session) { return "Authorization: Bearer " + std::string(session["access_token"]); }

  Carnetd d_;
};

TEST_F(Portal, AForgottenPasswordIsResetWithAnEmailedCodeAndTheSecondFactorStillGuards) {
  json first = activate("285016956789044", "1985-01-20", "chloe@example.fr", "Trois petits chats blancs");
  std::string old_session = bearer(first);

  // The same answer for an unknown login, and nothing sent.
  auto unknown = post("/api/v1/password-reset", {{"login", "nobody@example.fr"}});
  auto known = post("/api/v1/password-reset", {{"login", "Chloe@Example.fr"}});
  ASSERT_EQ(unknown->status, 202) << unknown->body;
  ASSERT_EQ(known->status, 202) << known->body;
  EXPECT_EQ(unknown->body, known->body);
  EXPECT_EQ(post("/api/v1/password-reset", {{"login", "not an address"}})->status, 400);
  json mail = notice("chloe@example.fr", "password_reset");
  std::string code = mail["params"]["code"];
  ASSERT_EQ(code.size(), 11u) << mail;
  EXPECT_TRUE(notices("nobody@example.fr", "password_reset").empty());
  // A second request within the minute sends nothing more (no mail bombing).
  EXPECT_EQ(post("/api/v1/password-reset", {{"login", "chloe@example.fr"}})->status, 202);
  std::this_thread::sleep_for(600ms);
  EXPECT_EQ(notices("chloe@example.fr", "password_reset").size(), 1u);

  // A wrong code, or the right one for another login, changes nothing.
  EXPECT_EQ(post("/api/v1/password-reset/confirm", {{"login", "chloe@example.fr"}, {"code", "AAAAA-AAAAA"},
                                                    {"password", "Une nouvelle phrase longue"}})->status, 401);
  EXPECT_EQ(post("/api/v1/password-reset/confirm", {{"login", "jean@example.fr"}, {"code", code},
                                                    {"password", "Une nouvelle phrase longue"}})->status, 401);
  // A weak password is refused and the code stays usable; typed in lower case without the dash.
  std::string typed = code.substr(0, 5) + code.substr(6);
  for (char& c : typed) c = char(std::tolower(static_cast<unsigned char>(c)));
  auto weak = post("/api/v1/password-reset/confirm", {{"login", "chloe@example.fr"}, {"code", typed}, {"password", "chloe1985chloe"}});
  EXPECT_EQ(weak->status, 400) << weak->body;
  auto reset = post("/api/v1/password-reset/confirm",
                    {{"login", "chloe@example.fr"}, {"code", typed}, {"password", "Une nouvelle phrase longue"}});
  ASSERT_EQ(reset->status, 204) << reset->body;
  EXPECT_EQ(post("/api/v1/password-reset/confirm", {{"login", "chloe@example.fr"}, {"code", typed},
                                                    {"password", "Encore une autre phrase"}})->status, 401);  // used once
  EXPECT_EQ(notice("chloe@example.fr", "password_changed")["template"], "password_changed");

  // Every session ended; the old password is gone; the new one still needs the second factor.
  EXPECT_EQ(http_get(d_.port(), "/api/v1/me", {old_session})->status, 401);
  EXPECT_EQ(post("/api/v1/sign-in", {{"login", "chloe@example.fr"}, {"password", "Trois petits chats blancs"}})->status, 401);
  auto step1 = post("/api/v1/sign-in", {{"login", "chloe@example.fr"}, {"password", "Une nouvelle phrase longue"}});
  ASSERT_EQ(step1->status, 200) << step1->body;
  EXPECT_EQ(json::parse(step1->body)["second_factor"], "email");
  EXPECT_FALSE(json::parse(step1->body).contains("access_token"));
}

TEST_F(Portal, ResetCodesAreTriedFiveTimesAtMost) {
  activate("285016956789044", "1985-01-20", "chloe@example.fr", "Trois petits chats blancs");
  ASSERT_EQ(post("/api/v1/password-reset", {{"login", "chloe@example.fr"}})->status, 202);
  std::string code = notice("chloe@example.fr", "password_reset")["params"]["code"];
  ASSERT_FALSE(code.empty());
  for (int i = 0; i < 5; ++i) {
    auto r = post("/api/v1/password-reset/confirm",
                  {{"login", "chloe@example.fr"}, {"code", "ZZZZZ-ZZZZ" + std::to_string(i)}, {"password", "Une nouvelle phrase longue"}});
    EXPECT_TRUE(r->status == 401 || r->status == 429) << r->body;
  }
  std::this_thread::sleep_for(2500ms);  // the address's lock period (--lockout-max 2s) ends
  auto late = post("/api/v1/password-reset/confirm",
                   {{"login", "chloe@example.fr"}, {"code", code}, {"password", "Une nouvelle phrase longue"}});
  EXPECT_EQ(late->status, 401) << late->body;  // the code died after five wrong tries
  // The holder still signs in with her password once the lock period is over.
  std::this_thread::sleep_for(2500ms);
  EXPECT_EQ(post("/api/v1/sign-in", {{"login", "chloe@example.fr"}, {"password", "Trois petits chats blancs"}})->status, 200);
}

TEST_F(Portal, APasswordChangeAsksTheCurrentOneAndEndsTheOtherSessions) {
  json first = activate("184057512345625", "1984-05-17", "jean@example.fr", "Un parent tres organise");
  auto second = sign_in("jean@example.fr", "Un parent tres organise", 1);
  ASSERT_EQ(second->status, 200) << second->body;
  std::string here = bearer(json::parse(second->body)), other = bearer(first);

  auto wrong = post("/api/v1/password", {{"current_password", "not the password"}, {"new_password", "Une phrase toute neuve"}}, {here});
  EXPECT_EQ(wrong->status, 401) << wrong->body;
  auto weak = post("/api/v1/password", {{"current_password", "Un parent tres organise"}, {"new_password", "dupont-jean-84"}}, {here});
  EXPECT_EQ(weak->status, 400) << weak->body;
  EXPECT_EQ(post("/api/v1/password", {{"current_password", "Un parent tres organise"}, {"new_password", "Une phrase toute neuve"}})->status,
            401);  // not signed in
  auto changed = post("/api/v1/password", {{"current_password", "Un parent tres organise"}, {"new_password", "Une phrase toute neuve"}},
                      {here});
  ASSERT_EQ(changed->status, 204) << changed->body;
  EXPECT_EQ(http_get(d_.port(), "/api/v1/me", {here})->status, 200);
  EXPECT_EQ(http_get(d_.port(), "/api/v1/me", {other})->status, 401);
  EXPECT_EQ(post("/api/v1/sign-in", {{"login", "jean@example.fr"}, {"password", "Un parent tres organise"}})->status, 401);
  EXPECT_EQ(post("/api/v1/sign-in", {{"login", "jean@example.fr"}, {"password", "Une phrase toute neuve"}})->status, 200);
  EXPECT_EQ(notice("jean@example.fr", "password_changed")["template"], "password_changed");
}

TEST_F(Portal, ASecondFactorChangeIsProvenByItsFirstCodeAndReplacesTheRecoveryCodes) {
  json first = activate("184057512345625", "1984-05-17", "jean@example.fr", "Un parent tres organise");
  std::vector<std::string> old_codes = first["recovery_codes"];
  auto second = sign_in("jean@example.fr", "Un parent tres organise", 1);
  ASSERT_EQ(second->status, 200) << second->body;
  std::string here = bearer(json::parse(second->body)), other = bearer(first);
  json me = json::parse(http_get(d_.port(), "/api/v1/me", {here})->body);
  EXPECT_EQ(me["second_factor"], "email");
  EXPECT_EQ(me["recovery_codes_left"], 10);

  // The current password is asked again; the factor must be one Carnet has; no mobile, no SMS.
  const char pw[] = "Un parent tres organise";
  EXPECT_EQ(post("/api/v1/second-factor", {{"current_password", "wrong"}, {"second_factor", "totp"}}, {here})->status, 401);
  EXPECT_EQ(post("/api/v1/second-factor", {{"current_password", pw}, {"second_factor", "fax"}}, {here})->status, 400);
  EXPECT_EQ(post("/api/v1/second-factor", {{"current_password", pw}, {"second_factor", "sms"}}, {here})->status, 400);
  EXPECT_EQ(post("/api/v1/second-factor", {{"current_password", pw}, {"second_factor", "totp"}})->status, 401);
  auto start = post("/api/v1/second-factor", {{"current_password", pw}, {"second_factor", "totp"}}, {here});
  ASSERT_EQ(start->status, 200) << start->body;
  json s = json::parse(start->body);
  std::string uri = s["otpauth_uri"];
  std::string secret = uri.substr(uri.find("secret=") + 7, 32);
  EXPECT_EQ(std::string(s["qr_svg"]).rfind("<svg", 0), 0u);

  // Nothing changes before the first code: a wrong code, another session's attempt.
  EXPECT_EQ(post("/api/v1/second-factor/confirm", {{"change_id", s["change_id"]}, {"code", "000000"}}, {here})->status, 401);
  EXPECT_EQ(post("/api/v1/second-factor/confirm", {{"change_id", "made-up"}, {"code", totp(secret)}}, {here})->status, 401);
  auto elsewhere = sign_in("jean@example.fr", pw, 2);
  ASSERT_EQ(elsewhere->status, 200);
  std::string third = bearer(json::parse(elsewhere->body));
  EXPECT_EQ(json::parse(http_get(d_.port(), "/api/v1/me", {third})->body)["second_factor"], "email");

  auto done = post("/api/v1/second-factor/confirm", {{"change_id", s["change_id"]}, {"code", totp(secret)}}, {here});
  ASSERT_EQ(done->status, 200) << done->body;
  std::vector<std::string> codes = json::parse(done->body)["recovery_codes"];
  ASSERT_EQ(codes.size(), 10u);
  EXPECT_EQ(http_get(d_.port(), "/api/v1/me", {here})->status, 200);
  EXPECT_EQ(http_get(d_.port(), "/api/v1/me", {other})->status, 401);  // the other sessions ended
  EXPECT_EQ(http_get(d_.port(), "/api/v1/me", {third})->status, 401);
  EXPECT_EQ(json::parse(http_get(d_.port(), "/api/v1/me", {here})->body)["second_factor"], "totp");
  EXPECT_EQ(notice("jean@example.fr", "second_factor_changed")["template"], "second_factor_changed");
  // Used once: confirming again finds nothing.
  EXPECT_EQ(post("/api/v1/second-factor/confirm", {{"change_id", s["change_id"]}, {"code", totp(secret)}}, {here})->status, 401);

  // Sign-in now asks the authenticator's code; an old recovery code no longer works, a new one does.
  auto step1 = post("/api/v1/sign-in", {{"login", "jean@example.fr"}, {"password", pw}});
  ASSERT_EQ(step1->status, 200);
  json c = json::parse(step1->body);
  EXPECT_EQ(c["second_factor"], "totp");
  EXPECT_EQ(post("/api/v1/sign-in/verify", {{"challenge_id", c["challenge_id"]}, {"code", old_codes[0]}})->status, 401);
  EXPECT_EQ(post("/api/v1/sign-in/verify", {{"challenge_id", c["challenge_id"]}, {"code", codes[0]}})->status, 200);
  EXPECT_EQ(json::parse(http_get(d_.port(), "/api/v1/me", {here})->body)["recovery_codes_left"], 9);

  // New recovery codes: the password again; the previous set stops working.
  EXPECT_EQ(post("/api/v1/recovery-codes", {{"current_password", "wrong"}}, {here})->status, 401);
  auto renewed = post("/api/v1/recovery-codes", {{"current_password", pw}}, {here});
  ASSERT_EQ(renewed->status, 200) << renewed->body;
  std::vector<std::string> fresh = json::parse(renewed->body)["recovery_codes"];
  EXPECT_EQ(fresh.size(), 10u);
  EXPECT_EQ(notice("jean@example.fr", "recovery_codes_renewed")["template"], "recovery_codes_renewed");
  step1 = post("/api/v1/sign-in", {{"login", "jean@example.fr"}, {"password", pw}});
  c = json::parse(step1->body);
  EXPECT_EQ(post("/api/v1/sign-in/verify", {{"challenge_id", c["challenge_id"]}, {"code", codes[1]}})->status, 401);
  EXPECT_EQ(post("/api/v1/sign-in/verify", {{"challenge_id", c["challenge_id"]}, {"code", fresh[1]}})->status, 200);
}

TEST_F(Portal, APendingFactorChangeIsDroppedAfterFiveWrongCodes) {
  json first = activate("285016956789044", "1985-01-20", "chloe@example.fr", "Trois petits chats blancs");
  std::string here = bearer(first);
  auto start = post("/api/v1/second-factor", {{"current_password", "Trois petits chats blancs"}, {"second_factor", "totp"}}, {here});
  ASSERT_EQ(start->status, 200) << start->body;
  json s = json::parse(start->body);
  std::string uri = s["otpauth_uri"];
  std::string secret = uri.substr(uri.find("secret=") + 7, 32);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(post("/api/v1/second-factor/confirm", {{"change_id", s["change_id"]}, {"code", "00000" + std::to_string(i)}}, {here})->status,
              401);
  }
  EXPECT_EQ(post("/api/v1/second-factor/confirm", {{"change_id", s["change_id"]}, {"code", totp(secret)}}, {here})->status, 401);
  EXPECT_EQ(json::parse(http_get(d_.port(), "/api/v1/me", {here})->body)["second_factor"], "email");
  // Malformed bodies change nothing.
  EXPECT_EQ(post("/api/v1/second-factor", {{"current_password", 12}, {"second_factor", "totp"}}, {here})->status, 400);
  EXPECT_EQ(post("/api/v1/second-factor/confirm", {{"change_id", s["change_id"]}}, {here})->status, 400);
}

TEST_F(Portal, MeGivesTheCookieSessionsCsrfTokenAndThePreviousVisit) {
  json first = activate("285016956789044", "1985-01-20", "chloe@example.fr", "Trois petits chats blancs", "cookie");
  std::string cookie = "Cookie: " + std::string(first["cookie"]);
  auto me = http_get(d_.port(), "/api/v1/me", {cookie});
  ASSERT_EQ(me->status, 200) << me->body;
  json m = json::parse(me->body);
  EXPECT_EQ(m["csrf_token"], first["csrf_token"]);  // a reloaded page gets it back
  EXPECT_EQ(m["first_name"], "CHLOE");
  EXPECT_EQ(m["previous_visit_at"], "");  // the first visit
  // The token works for unsafe methods; another session's does not.
  auto other = sign_in("chloe@example.fr", "Trois petits chats blancs", 1, "cookie");
  ASSERT_EQ(other->status, 200) << other->body;
  std::string other_cookie = "Cookie: " + other->header("set-cookie").substr(0, other->header("set-cookie").find(';'));
  std::string other_csrf = json::parse(other->body)["csrf_token"];
  EXPECT_NE(other_csrf, std::string(first["csrf_token"]));
  EXPECT_EQ(http_request(d_.port(), "POST", "/api/v1/care/consultation-codes", "", {cookie, "X-CSRF-Token: " + other_csrf})->status, 403);
  EXPECT_EQ(http_request(d_.port(), "POST", "/api/v1/care/consultation-codes", "",
                         {cookie, "X-CSRF-Token: " + std::string(m["csrf_token"])})->status, 201);
  // The second session sees when the first one was last active.
  json later = json::parse(http_get(d_.port(), "/api/v1/me", {other_cookie})->body);
  EXPECT_GE(std::string(later["previous_visit_at"]).size(), 20u) << later;
  // Bearer sessions have no CSRF token.
  auto b = sign_in("chloe@example.fr", "Trois petits chats blancs", 2);
  EXPECT_FALSE(json::parse(http_get(d_.port(), "/api/v1/me", {bearer(json::parse(b->body))})->body).contains("csrf_token"));
}

TEST_F(Portal, OperatorsCountSpacesEditTheMatrixAndImportTheDirectory) {
  std::string created = carnet_cli(d_.data_dir(), "operator create ops@carnet.example");
  auto field = [&](const std::string& label) {
    auto p = created.find(label);
    return p == std::string::npos ? std::string() : created.substr(p + label.size(), created.find('\n', p) - p - label.size());
  };
  std::string password = field("password: "), uri = field("TOTP:     ");
  std::string secret = uri.substr(uri.find("secret=") + 7, 32);
  auto step1 = post("/api/v1/sign-in", {{"login", "ops@carnet.example"}, {"password", password}});
  ASSERT_EQ(step1->status, 200) << step1->body;
  auto in = post("/api/v1/sign-in/verify", {{"challenge_id", json::parse(step1->body)["challenge_id"]},
                                            {"code", shell("oathtool --totp -b " + secret)}, {"session", "bearer"}});
  ASSERT_EQ(in->status, 200) << in->body;
  std::string op = bearer(json::parse(in->body));
  // An operator keeps an authenticator app: renewing it is allowed, e-mail codes are not.
  EXPECT_EQ(post("/api/v1/second-factor", {{"current_password", password}, {"second_factor", "email"}}, {op})->status, 400);
  EXPECT_EQ(post("/api/v1/second-factor", {{"current_password", password}, {"second_factor", "totp"}}, {op})->status, 200);
  json holder = activate("184057512345625", "1984-05-17", "jean@example.fr", "Un parent tres organise");

  // Counts: two spaces, one activated; never health content.
  auto stats = http_get(d_.port(), "/api/v1/operator/statistics", {op});
  ASSERT_EQ(stats->status, 200) << stats->body;
  json st = json::parse(stats->body);
  EXPECT_EQ(st["spaces"]["notified"].get<int>() + st["spaces"].value("open", 0), 2) << st;
  EXPECT_EQ(st["activated"], 1);
  EXPECT_EQ(st["activated_last_30_days"], 1);
  EXPECT_EQ(http_get(d_.port(), "/api/v1/operator/statistics", {bearer(holder)})->status, 403);
  EXPECT_EQ(http_get(d_.port(), "/api/v1/operator/statistics")->status, 401);

  // The directory over HTTP, with its report of bad lines.
  std::ifstream rpps(std::string(SOURCE_DIR) + "/src/identity/data/rpps-demo.txt");
  std::stringstream extraction;
  extraction << rpps.rdbuf();
  auto imported = http_request(d_.port(), "POST", "/api/v1/operator/directory", extraction.str() + "garbage line\n",
                               {op, "Content-Type: text/plain"});
  ASSERT_EQ(imported->status, 200) << imported->body;
  json report = json::parse(imported->body);
  EXPECT_EQ(report["summary"]["practitioners"]["created"], 3) << report;
  EXPECT_EQ(report["summary"]["invalid"], 1) << report;
  ASSERT_EQ(report["invalid_lines"].size(), 1u);
  EXPECT_EQ(json::parse(http_get(d_.port(), "/api/v1/operator/statistics", {op})->body)["professionals"], 3);
  EXPECT_EQ(http_request(d_.port(), "POST", "/api/v1/operator/directory", "x", {op, "Content-Type: image/png"})->status, 415);

  // The matrix: read, change one cell, read back; a matrix with holes or junk is refused.
  auto matrix = http_get(d_.port(), "/api/v1/operator/access-matrix", {op});
  ASSERT_EQ(matrix->status, 200) << matrix->body;
  json rows = json::parse(matrix->body)["rows"];
  ASSERT_GT(rows.size(), 20u);
  bool flipped = false;
  for (auto& r : rows) {
    if (r["profession_code"] == "21" && r["category"] == "imaging") {
      r["allowed"] = !r["allowed"].get<bool>();
      flipped = r["allowed"];
    }
  }
  auto put = http_request(d_.port(), "PUT", "/api/v1/operator/access-matrix", json{{"rows", rows}}.dump(),
                          {op, "Content-Type: application/json"});
  ASSERT_EQ(put->status, 204) << put->body;
  json back = json::parse(http_get(d_.port(), "/api/v1/operator/access-matrix", {op})->body)["rows"];
  for (const auto& r : back) {
    if (r["profession_code"] == "21" && r["category"] == "imaging") {
      EXPECT_EQ(r["allowed"], flipped);
    }
  }
  json holes = rows;
  holes.erase(holes.begin());
  for (const std::string& bad : {json{{"rows", holes}}.dump(), json{{"rows", json::array()}}.dump(), std::string("[1]"),
                                 json{{"rows", json::array({json{{"profession_code", "21"}}})}}.dump(), std::string("{not json")}) {
    auto r = http_request(d_.port(), "PUT", "/api/v1/operator/access-matrix", bad, {op, "Content-Type: application/json"});
    EXPECT_EQ(r->status, 400) << bad.substr(0, 80) << " " << r->body;
  }
  EXPECT_EQ(http_request(d_.port(), "PUT", "/api/v1/operator/access-matrix", json{{"rows", rows}}.dump(),
                         {bearer(holder), "Content-Type: application/json"})->status, 403);
}

}  // namespace
}  // namespace carnet::itest
