#include "core/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <sstream>
#include <vector>

namespace carnet {
namespace {

Result<ParsedConfig> parse(std::vector<const char*> args, std::string* out_text = nullptr) {
  args.insert(args.begin(), "carnetd");
  std::ostringstream out;
  auto r = parse_config(int(args.size()), args.data(), out);
  if (out_text) *out_text = out.str();
  return r;
}

class ConfigTest : public ::testing::Test {
 protected:
  void TearDown() override {
    unsetenv("CARNET_PORT");
    unsetenv("CARNET_IDLE_TIMEOUT");
  }
};

TEST_F(ConfigTest, Defaults) {
  auto r = parse({});
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->config.host, "127.0.0.1");
  EXPECT_EQ(r->config.port, 8080);
  EXPECT_EQ(r->config.effective_master_key_file(), "data/master.key");
}

TEST_F(ConfigTest, EnvironmentThenFlagsWin) {
  setenv("CARNET_PORT", "9001", 1);
  setenv("CARNET_IDLE_TIMEOUT", "5s", 1);
  auto r = parse({});
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->config.port, 9001);
  EXPECT_EQ(r->config.idle_timeout, std::chrono::seconds(5));
  auto r2 = parse({"--port", "9002"});
  ASSERT_TRUE(r2.is_ok());
  EXPECT_EQ(r2->config.port, 9002);
}

TEST_F(ConfigTest, InvalidValuesGiveOneLineErrors) {
  for (auto args : std::vector<std::vector<const char*>>{
           {"--port", "99999"}, {"--port", "abc"}, {"--idle-timeout", "soon"},
           {"--log-level", "loud"}, {"--unknown-flag"}, {"--workers", "0"}}) {
    auto r = parse(args);
    ASSERT_FALSE(r.is_ok()) << args[0];
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalid);
    EXPECT_EQ(r.status().message().find('\n'), std::string::npos);
  }
}

TEST_F(ConfigTest, RefusesPlainHttpOnPublicAddress) {
  auto r = parse({"--host", "0.0.0.0"});
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("refusing"), std::string::npos);
  EXPECT_TRUE(parse({"--host", "0.0.0.0", "--behind-proxy"}).is_ok());
  EXPECT_FALSE(parse({"--trusted-proxy", "10.0.0.1"}).is_ok());
  auto proxies = parse({"--host", "0.0.0.0", "--behind-proxy", "--trusted-proxy", "10.0.0.1,10.0.0.2"});
  ASSERT_TRUE(proxies.is_ok());
  EXPECT_EQ(proxies->config.trusted_proxies.size(), 2u);
}

TEST_F(ConfigTest, HelpListsOptions) {
  std::string text;
  auto r = parse({"--help"}, &text);
  ASSERT_TRUE(r.is_ok());
  EXPECT_TRUE(r->exit_now);
  for (const char* opt : {"--port", "--tls-cert", "--behind-proxy", "--idle-timeout", "--data-dir",
                          "CARNET_PORT", "--max-connections"}) {
    EXPECT_NE(text.find(opt), std::string::npos) << opt;
  }
}

TEST(ParseDuration, Units) {
  EXPECT_EQ(parse_duration("250ms"), std::chrono::milliseconds(250));
  EXPECT_EQ(parse_duration("10"), std::chrono::seconds(10));
  EXPECT_EQ(parse_duration("2m"), std::chrono::minutes(2));
  EXPECT_EQ(parse_duration("42d"), std::chrono::days(42));
  EXPECT_FALSE(parse_duration("").has_value());
  EXPECT_FALSE(parse_duration("-1s").has_value());
  EXPECT_FALSE(parse_duration("10w").has_value());
}

}  // namespace
}  // namespace carnet
