#include "identity/contacts.h"

#include <gtest/gtest.h>

namespace carnet::identity {
namespace {

TEST(Contacts, Email) {
  EXPECT_EQ(*normalize_email(" Jean.Dupont@Example.FR "), "jean.dupont@example.fr");
  for (const char* bad : {"", "jean", "@x.fr", "a@b", "a@@b.fr", "a@b..fr", "a b@c.fr", "a@.fr", "a@fr."}) {
    EXPECT_FALSE(normalize_email(bad).is_ok()) << bad;
  }
}

TEST(Contacts, Mobile) {
  EXPECT_EQ(*normalize_mobile("06 12 34 56 78"), "+33612345678");
  EXPECT_EQ(*normalize_mobile("+33 6 12 34 56 78"), "+33612345678");
  EXPECT_EQ(*normalize_mobile("0033612345678"), "+33612345678");
  EXPECT_EQ(*normalize_mobile("+32 470 12 34 56"), "+32470123456");
  for (const char* bad : {"", "12345", "06123456789", "06 12 34 56 7a", "+0612345678", "++33612345678"}) {
    EXPECT_FALSE(normalize_mobile(bad).is_ok()) << bad;
  }
}

TEST(Contacts, Address) {
  EXPECT_EQ(*normalize_address("1 rue de la Paix\r\n75002 Paris\n"), "1 rue de la Paix\n75002 Paris");
  EXPECT_FALSE(normalize_address("short").is_ok());
  EXPECT_FALSE(normalize_address(std::string("1 rue\x01 de la Paix")).is_ok());
}

}  // namespace
}  // namespace carnet::identity
