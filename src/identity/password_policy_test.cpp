#include "identity/password_policy.h"

#include <gtest/gtest.h>

namespace carnet::identity {
namespace {

TEST(PasswordPolicy, Accepts) {
  EXPECT_TRUE(check_password("cheval-agrafe-batterie", {}).is_ok());
  EXPECT_TRUE(check_password("Ma tante a 3 chats roux", {"jean.dupont", "DUPONT"}).is_ok());
  EXPECT_TRUE(check_password("ééééàààçççùùù", {}).is_ok());  // 13 characters in 26 bytes
}

TEST(PasswordPolicy, Rejects) {
  struct {
    const char* pw;
    const char* why;
  } cases[] = {{"short", "at least 12"},         {"motdepasse123", "too common"}, {"Azertyuiop123", "too common"},
               {"123456789012", "too common"}, {"aaaaaaaaaaaaaa", "too simple"}, {"abcdefghijklmnop", "too simple"},
               {"ababababababab", "too simple"}, {"jean.dupont-1984", "login or your name"},
               {"xxDuPoNtxx1984", "login or your name"}};
  for (const auto& c : cases) {
    Status s = check_password(c.pw, {"jean.dupont", "DUPONT", "JEAN"});
    ASSERT_FALSE(s.is_ok()) << c.pw;
    EXPECT_NE(s.message().find(c.why), std::string::npos) << c.pw << ": " << s.message();
  }
  EXPECT_FALSE(check_password(std::string(300, 'x') + "abcdef", {}).is_ok());
}

}  // namespace
}  // namespace carnet::identity
