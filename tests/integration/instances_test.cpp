// Several carnetd instances on one database behind a load balancer (HAProxy from Debian,
// started here on loopback): a session opened through one instance works on the other, a
// change written through one is read at once through the other (reference data cached by an
// instance included), events published by one reach the other's listeners, and a rolling
// restart of one instance loses no request. Runs on each
// backend make test covers (SQLite shared by two processes, and PostgreSQL).
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/integration/fhir_fixture.h"

namespace carnet::itest {
namespace {

class Instances : public Fhir {
 protected:
  std::vector<std::string> extra_flags() const override { return {"--port", std::to_string(port_a_)}; }

  void SetUp() override {
    port_a_ = free_port();
    Fhir::SetUp();
    ASSERT_TRUE(b_.start(args(b_flags()))) << b_.stderr_text();
    start_balancer();
  }
  void TearDown() override {
    if (haproxy_ > 0) {
      ::kill(haproxy_, SIGKILL);
      ::waitpid(haproxy_, nullptr, 0);
    }
  }
  std::vector<std::string> b_flags() const {
    return {"--data-dir", d_.data_dir(), "--port", std::to_string(port_b_), "--job-interval", "200ms"};
  }

  void start_balancer() {
    lb_port_ = free_port();
    std::string cfg = d_.dir().file("haproxy.cfg");
    std::ofstream(cfg) << "global\n  maxconn 512\n"
                          "defaults\n  mode http\n  timeout connect 2s\n  timeout client 30s\n  timeout server 30s\n  timeout check 2s\n"
                          "  retries 3\n  option redispatch 1\n  retry-on conn-failure empty-response response-timeout 503\n"
                          "frontend carnet\n  bind 127.0.0.1:" << lb_port_ << "\n  default_backend instances\n"
                          "  http-response set-header X-Carnet-Instance %s\n"
                          "backend instances\n  balance roundrobin\n  option httpchk GET /readyz\n"
                          "  server a 127.0.0.1:" << port_a_ << " check inter 100ms fall 3 rise 2\n"
                          "  server b 127.0.0.1:" << port_b_ << " check inter 100ms fall 3 rise 2\n";
    pid_t parent = ::getpid();
    haproxy_ = ::fork();
    if (haproxy_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      int log = ::open(d_.dir().file("haproxy.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(log, STDOUT_FILENO);
      ::dup2(log, STDERR_FILENO);
      ::execl("/usr/sbin/haproxy", "haproxy", "-db", "-f", cfg.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    // Ready when both instances answer through it.
    std::set<std::string> seen;
    for (int i = 0; i < 100 && seen.size() < 2; ++i) {
      auto r = http_get(lb_port_, "/readyz");
      if (r && r->status == 200) seen.insert(r->header("x-carnet-instance"));
      if (seen.size() < 2) std::this_thread::sleep_for(50ms);
    }
    ASSERT_EQ(seen.size(), 2u) << shell("cat " + d_.dir().file("haproxy.log"));
  }

  // Dr Claire Martin, GP, in Jean's care team.
  std::string claire() {
    if (claire_.empty()) {
      claire_ = professional("810100000001", "cabinet.martin@demo.carnet");
      std::string space = json::parse(api("GET", "/api/v1/me", jean_)->body)["space_id"];
      EXPECT_EQ(api("POST", "/api/v1/care/spaces/" + space + "/care-team", claire_)->status, 204);
    }
    return claire_;
  }

  int port_a_ = 0, port_b_ = free_port(), lb_port_ = 0;
  std::string claire_;
  Carnetd b_;
  pid_t haproxy_ = -1;
};

TEST_F(Instances, SessionsWritesAndReferenceDataAreSharedAndARollingRestartLosesNothing) {
  // A session opened through the balancer (the sign-in's two steps may hit either instance)
  // works on both instances.
  std::string sophie = bearer("sophie.martin@demo.carnet", "Piano-Bleu-Riviere-26", 2, lb_port_);
  std::set<std::string> served;
  for (int i = 0; i < 4; ++i) {
    auto me = http_request(lb_port_, "GET", "/api/v1/me", "", {sophie});
    ASSERT_EQ(me->status, 200) << me->body;
    served.insert(me->header("x-carnet-instance"));
  }
  EXPECT_EQ(served, (std::set<std::string>{"a", "b"}));

  // Written through one instance, read at once through the other.
  std::string space = json::parse(api("GET", "/api/v1/me", jean_)->body)["space_id"];
  std::string patient = "Patient/" + space;
  auto obs = http_request(port_a_, "POST", "/fhir/r4/Observation",
                          R"({"resourceType":"Observation","status":"final","code":{"text":"Poids"},"subject":{"reference":")" +
                              patient + R"("}})",
                          {jean_, "Content-Type: application/fhir+json"});
  ASSERT_EQ(obs->status, 201) << obs->body;
  std::string obs_id = json::parse(obs->body)["id"];
  auto read = http_request(port_b_, "GET", "/fhir/r4/Observation/" + obs_id, "", {jean_});
  ASSERT_EQ(read->status, 200) << read->body;
  EXPECT_EQ(json::parse(read->body)["meta"]["versionId"], json::parse(obs->body)["meta"]["versionId"]);
  auto updated = http_request(port_b_, "PUT", "/fhir/r4/Observation/" + obs_id,
                              R"({"resourceType":"Observation","id":")" + obs_id +
                                  R"(","status":"amended","code":{"text":"Poids"},"subject":{"reference":")" + patient + R"("}})",
                              {jean_, "Content-Type: application/fhir+json"});
  ASSERT_EQ(updated->status, 200) << updated->body;
  EXPECT_EQ(json::parse(http_request(port_a_, "GET", "/fhir/r4/Observation/" + obs_id, "", {jean_})->body)["status"], "amended");

  // Reference data an instance caches (the access matrix): a nurse in Jean's care team reads
  // a report through instance b, which keeps the matrix; the operator then forbids reports to
  // nurses with the carnet tool; instance b refuses the very next read.
  std::string julie = professional("810100000003", "julie.leroy@demo.carnet");
  ASSERT_EQ(api("POST", "/api/v1/care/spaces/" + space + "/care-team", julie)->status, 204);
  auto doc = http_request(port_a_, "POST", "/fhir/r4/DocumentReference",
                          R"({"resourceType":"DocumentReference","status":"current","subject":{"reference":")" + patient +
                              R"("},"type":{"coding":[{"system":"http://loinc.org","code":"11488-4"}]},)"
                              R"("content":[{"attachment":{"contentType":"application/pdf","data":"JVBERi0xLjQK"}}]})",
                          {jean_, "Content-Type: application/fhir+json"});
  ASSERT_EQ(doc->status, 201) << doc->body;
  std::string report = "/fhir/r4/DocumentReference/" + std::string(json::parse(doc->body)["id"]);
  EXPECT_EQ(http_request(port_b_, "GET", report, "", {julie})->status, 200);
  std::string matrix = carnet_cli(d_.data_dir(), "access matrix export");
  auto at = matrix.find("\n60,");
  ASSERT_NE(at, std::string::npos) << matrix;
  auto row = matrix.find(",reports,1", at);
  ASSERT_NE(row, std::string::npos) << matrix;
  matrix.replace(row, 10, ",reports,0");
  std::ofstream(d_.dir().file("matrix.csv")) << matrix << "\n";
  int code = -1;
  std::string imported = carnet_cli(d_.data_dir(), "access matrix import " + d_.dir().file("matrix.csv"), &code);
  ASSERT_EQ(code, 0) << imported;
  EXPECT_EQ(http_request(port_b_, "GET", report, "", {julie})->status, 404);  // no longer hers to see: as if absent
  EXPECT_EQ(http_request(port_a_, "GET", report, "", {julie})->status, 404);  // no longer hers to see: as if absent

  // Events cross instances: the tool's change was announced to instance b, and so is a
  // document a professional adds to Jean's space through instance a.
  auto heard = [&](int port, const std::string& metric) {
    std::string body = http_get(port, "/metrics")->body;
    auto at = body.find("\n" + metric + " ");
    return at == std::string::npos ? -1.0 : std::atof(body.c_str() + at + metric.size() + 2);
  };
  double before = heard(port_b_, "carnet_events_documents_total");
  EXPECT_GE(before, 0);
  for (int i = 0; i < 40 && heard(port_b_, "carnet_events_reference_data_total") < 1; ++i) std::this_thread::sleep_for(50ms);
  EXPECT_GE(heard(port_b_, "carnet_events_reference_data_total"), 1);
  auto added = http_request(port_a_, "POST", "/fhir/r4/DocumentReference",
                            R"({"resourceType":"DocumentReference","status":"current","subject":{"reference":")" + patient +
                                R"("},"type":{"coding":[{"system":"http://loinc.org","code":"11488-4"}]},)"
                                R"("content":[{"attachment":{"contentType":"application/pdf","data":"JVBERi0xLjQK"}}]})",
                            {claire(), "Content-Type: application/fhir+json"});
  ASSERT_EQ(added->status, 201) << added->body;
  for (int i = 0; i < 40 && heard(port_b_, "carnet_events_documents_total") < before + 1; ++i) std::this_thread::sleep_for(50ms);
  EXPECT_EQ(heard(port_b_, "carnet_events_documents_total"), before + 1);

  // Rolling restart: instance a stops (SIGTERM) and comes back while a client keeps reading
  // through the balancer; every request gets its answer.
  std::atomic<bool> running{true};
  std::atomic<int> ok{0}, failed{0};
  std::string last_failure;
  std::thread client([&] {
    while (running) {
      auto r = http_request(lb_port_, "GET", "/fhir/r4/Observation/" + obs_id, "", {jean_});
      if (r && r->status == 200) {
        ok++;
      } else {
        failed++;
        last_failure = r ? std::to_string(r->status) + " " + r->body : "no answer";
      }
    }
  });
  std::this_thread::sleep_for(300ms);
  d_.signal(SIGTERM);
  EXPECT_EQ(d_.wait_exit(15s), 0);
  int during = ok.load();
  for (int i = 0; i < 100 && ok.load() <= during; ++i) std::this_thread::sleep_for(50ms);
  EXPECT_GT(ok.load(), during) << "instance b alone served";
  ASSERT_TRUE(d_.start(args({"--port", std::to_string(port_a_), "--job-interval", "200ms"}))) << d_.stderr_text();
  std::set<std::string> after;
  for (int i = 0; i < 100 && after.size() < 2; ++i) {
    auto r = http_get(lb_port_, "/readyz");
    if (r) after.insert(r->header("x-carnet-instance"));
    std::this_thread::sleep_for(20ms);
  }
  running = false;
  client.join();
  EXPECT_EQ(after.size(), 2u);
  EXPECT_EQ(failed.load(), 0) << last_failure;
  EXPECT_GT(ok.load(), 50);
}

TEST_F(Instances, ASessionEndedThroughOneInstanceIsRefusedAtOnceByTheOther) {
  // Instance b remembers a session it authenticated (its reads then confirm the session in
  // the access statement instead of reading it first); the session ends through instance a;
  // b's very next answer to it is 401, whatever the request.
  std::string second = bearer("jean.dupont@demo.carnet", "Velo-Rouge-Montagne-26", 2, port_a_);
  std::string space = json::parse(api("GET", "/api/v1/me", jean_)->body)["space_id"];
  auto obs = http_request(port_a_, "POST", "/fhir/r4/Observation",
                          R"({"resourceType":"Observation","status":"final","code":{"text":"Poids"},"subject":{"reference":"Patient/)" +
                              space + R"("}})",
                          {second, "Content-Type: application/fhir+json"});
  ASSERT_EQ(obs->status, 201) << obs->body;
  std::string read = "/fhir/r4/Observation/" + std::string(json::parse(obs->body)["id"]);
  std::string search = "/fhir/r4/Observation?patient=Patient/" + space + "&_count=5";
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(http_request(port_b_, "GET", read, "", {second})->status, 200);
    ASSERT_EQ(http_request(port_b_, "GET", search, "", {second})->status, 200);
  }
  // Writes with a bearer token take the remembered session too (no CSRF token to check).
  std::string weight = R"({"resourceType":"Observation","status":"final","code":{"text":"Poids"},"subject":{"reference":"Patient/)" +
                       space + R"("}})";
  ASSERT_EQ(http_request(port_b_, "POST", "/fhir/r4/Observation", weight, {second, "Content-Type: application/fhir+json"})->status,
            201);
  std::string count = "/fhir/r4/Observation?patient=Patient/" + space + "&_summary=count";
  int before = json::parse(http_request(port_a_, "GET", count, "", {jean_})->body)["total"];
  auto mine = http_request(port_a_, "GET", "/api/v1/sessions", "", {second});
  ASSERT_EQ(mine->status, 200) << mine->body;
  std::string session_id;
  json sessions = json::parse(mine->body)["sessions"];
  for (const auto& s : sessions) {
    if (s.value("current", false)) session_id = s["session_id"];
  }
  ASSERT_FALSE(session_id.empty()) << mine->body;
  ASSERT_EQ(http_request(port_a_, "DELETE", "/api/v1/sessions/" + session_id, "", {jean_})->status, 204);

  EXPECT_EQ(http_request(port_b_, "GET", read, "", {second})->status, 401);
  EXPECT_EQ(http_request(port_b_, "GET", search, "", {second})->status, 401);
  // Nor a write: refused before anything is stored.
  std::string changed = json::parse(obs->body).dump();
  EXPECT_EQ(http_request(port_b_, "POST", "/fhir/r4/Observation", weight, {second, "Content-Type: application/fhir+json"})->status,
            401);
  EXPECT_EQ(http_request(port_b_, "PUT", read, changed, {second, "Content-Type: application/fhir+json"})->status, 401);
  EXPECT_EQ(http_request(port_b_, "DELETE", read, "", {second})->status, 401);
  EXPECT_EQ(json::parse(http_request(port_a_, "GET", count, "", {jean_})->body)["total"], before);
  auto kept = http_request(port_a_, "GET", read, "", {jean_});
  ASSERT_EQ(kept->status, 200);
  EXPECT_EQ(json::parse(kept->body)["meta"]["versionId"], "1");
  // Not "no such resource" nor "bad parameter": nothing but "not signed in".
  EXPECT_EQ(http_request(port_b_, "GET", "/fhir/r4/Observation/no-such-id", "", {second})->status, 401);
  EXPECT_EQ(http_request(port_b_, "GET", "/fhir/r4/Observation?unknown-parameter=1", "", {second})->status, 401);
  EXPECT_EQ(http_request(port_b_, "GET", "/fhir/r4/Observation?_count=5", "", {second, "Accept: text/csv"})->status, 401);
  // Jean's other session is untouched.
  EXPECT_EQ(http_request(port_b_, "GET", read, "", {jean_})->status, 200);
}

}  // namespace
}  // namespace carnet::itest
