#include "http/proxy_trust.h"

#include <gtest/gtest.h>

namespace carnet::http {
namespace {

TEST(ProxyTrust, ParsesAndMatches) {
  auto t = ProxyTrust::parse({"10.0.0.0/8", "192.168.1.5", "fd00::/8"});
  ASSERT_TRUE(t.is_ok());
  EXPECT_TRUE(t->trusts("10.1.2.3"));
  EXPECT_TRUE(t->trusts("192.168.1.5"));
  EXPECT_FALSE(t->trusts("192.168.1.6"));
  EXPECT_TRUE(t->trusts("fd12::1"));
  EXPECT_FALSE(t->trusts("fe80::1"));
  EXPECT_FALSE(t->trusts("garbage"));
  EXPECT_FALSE(ProxyTrust::parse({"10.0.0.0/33"}).is_ok());
  EXPECT_FALSE(ProxyTrust::parse({"not-an-ip"}).is_ok());
}

TEST(ProxyTrust, ClientAddressFromForwardedFor) {
  auto t = *ProxyTrust::parse({"10.0.0.1", "10.0.0.2"});
  // Untrusted peer: its header is ignored.
  EXPECT_EQ(t.client_address("203.0.113.9", "1.2.3.4"), "203.0.113.9");
  // Trusted peer: right-most untrusted entry; a spoofed left-most one is ignored.
  EXPECT_EQ(t.client_address("10.0.0.1", "6.6.6.6, 198.51.100.7, 10.0.0.2"), "198.51.100.7");
  EXPECT_EQ(t.client_address("10.0.0.1", ""), "10.0.0.1");
  EXPECT_EQ(t.client_address("10.0.0.1", "junk"), "10.0.0.1");
}

}  // namespace
}  // namespace carnet::http
