#include "crypto/random.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

namespace carnet::crypto {
namespace {

TEST(Random, TokensAreUrlSafeAndUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string t = random_token(32);
    EXPECT_EQ(t.size(), 43u);
    EXPECT_EQ(t.find_first_not_of(
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
              std::string::npos);
    EXPECT_TRUE(seen.insert(t).second);
  }
  EXPECT_EQ(random_bytes(17).size(), 17u);
}

TEST(Random, UuidsAndStrings) {
  std::string u = random_uuid();
  ASSERT_EQ(u.size(), 36u);
  EXPECT_EQ(u[14], '4');
  EXPECT_NE(std::string("89ab").find(u[19]), std::string::npos);
  EXPECT_NE(random_uuid(), u);
  std::string s = random_string(12, "AB");
  EXPECT_EQ(s.size(), 12u);
  EXPECT_EQ(s.find_first_not_of("AB"), std::string::npos);
}

TEST(Random, TimeOrderedUuidsSort) {
  std::string a = time_ordered_uuid();
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  std::string b = time_ordered_uuid();
  EXPECT_EQ(a.size(), 36u);
  EXPECT_EQ(a[14], '7');
  EXPECT_LT(a, b);
}

TEST(Random, UniformStaysInRange) {
  for (int i = 0; i < 1000; ++i) EXPECT_LT(random_uniform(10), 10u);
}

TEST(Random, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
  EXPECT_TRUE(constant_time_equal("", ""));
}

}  // namespace
}  // namespace carnet::crypto
