// TLS (1.2+ only, HSTS) and the trusted-proxy rules, checked with the curl and openssl
// command-line tools as independent clients.
#include <gtest/gtest.h>
#include <signal.h>

#include <array>
#include <cstdio>
#include <memory>

#include "tests/integration/harness.h"

namespace carnet::itest {
namespace {

using namespace std::chrono_literals;

struct CommandResult {
  int code;
  std::string output;
};

CommandResult run(const std::string& cmd) {
  CommandResult r{-1, ""};
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class Tls : public ::testing::Test {
 protected:
  void SetUp() override {
    cert_ = dir_.file("cert.pem");
    key_ = dir_.file("key.pem");
    auto gen = run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost "
                   "-addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout " + key_ + " -out " + cert_);
    ASSERT_EQ(gen.code, 0) << gen.output;
  }
  testing::TempDir dir_;
  std::string cert_, key_;
};

TEST_F(Tls, ServesHttpsWithHstsAndRefusesOldProtocols) {
  Carnetd d;
  ASSERT_TRUE(d.start(args({"--tls-cert", cert_, "--tls-key", key_}))) << d.stderr_text();
  EXPECT_NE(d.stdout_text().find("https://127.0.0.1:"), std::string::npos);
  std::string url = "https://127.0.0.1:" + std::to_string(d.port()) + "/healthz";
  auto ok = run("curl -sS -i --max-time 5 --cacert " + cert_ + " " + url);
  ASSERT_EQ(ok.code, 0) << ok.output;
  EXPECT_NE(ok.output.find("HTTP/1.1 200"), std::string::npos) << ok.output;
  EXPECT_NE(ok.output.find("Strict-Transport-Security: max-age="), std::string::npos) << ok.output;

  auto tls12 = run("curl -sS -o /dev/null -w '%{http_code}' --max-time 5 --tlsv1.2 --tls-max 1.2 --cacert " + cert_ + " " + url);
  EXPECT_EQ(tls12.output, "200");
  auto tls11 = run("curl -sS -o /dev/null --max-time 5 --tlsv1.1 --tls-max 1.1 --cacert " + cert_ + " " + url);
  EXPECT_NE(tls11.code, 0) << tls11.output;
  auto untrusted = run("curl -sS -o /dev/null --max-time 5 " + url);
  EXPECT_NE(untrusted.code, 0);  // self-signed: refused unless the CA is given

  // Plain HTTP on the TLS port gets no HTTP answer, and the server keeps serving.
  Conn plain(d.port());
  plain.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  auto r = plain.read_response(2s);
  EXPECT_FALSE(r && r->status == 200);
  EXPECT_EQ(run("curl -sS -o /dev/null -w '%{http_code}' --max-time 5 --cacert " + cert_ + " " + url).output, "200");
  d.signal(SIGTERM);
  EXPECT_EQ(d.wait_exit(10s), 0);
}

TEST_F(Tls, SilentClientIsDroppedAtTheHandshakeDeadline) {
  Carnetd d;
  ASSERT_TRUE(d.start(args({"--tls-cert", cert_, "--tls-key", key_, "--header-timeout", "1s"}))) << d.stderr_text();
  Conn silent(d.port());
  ASSERT_TRUE(silent.ok());
  EXPECT_TRUE(silent.closed_within(3s));
  d.signal(SIGTERM);
  EXPECT_EQ(d.wait_exit(10s), 0);
}

TEST(Proxy, ForwardedHeadersTrustedOnlyFromConfiguredProxies) {
  Carnetd trusted;
  ASSERT_TRUE(trusted.start(args({"--behind-proxy", "--trusted-proxy", "127.0.0.1"}))) << trusted.stderr_text();
  auto r = http_get(trusted.port(), "/healthz",
                    {"X-Forwarded-Proto: https", "X-Forwarded-For: 198.51.100.7", "X-Request-Id: lb-req-42"});
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->header("strict-transport-security").empty());
  EXPECT_EQ(r->header("x-request-id"), "lb-req-42");

  Carnetd untrusted;
  ASSERT_TRUE(untrusted.start(args({"--behind-proxy", "--trusted-proxy", "10.9.9.9"}))) << untrusted.stderr_text();
  auto u = http_get(untrusted.port(), "/healthz", {"X-Forwarded-Proto: https", "X-Request-Id: forged"});
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->header("strict-transport-security").empty());
  EXPECT_NE(u->header("x-request-id"), "forged");
}

TEST(Proxy, BehindProxyAllowsPlainHttpOnPublicAddress) {
  Carnetd d;
  ASSERT_TRUE(d.start(args({"--host", "0.0.0.0", "--behind-proxy"}))) << d.stderr_text();
  auto r = http_get(d.port(), "/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

}  // namespace
}  // namespace carnet::itest
