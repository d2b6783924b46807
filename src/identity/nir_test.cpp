#include "identity/nir.h"

#include <gtest/gtest.h>

namespace carnet::identity {
namespace {

// Keys computed independently (Python: 97 - int(body) % 97, 2A/2B replaced by 19/18).
TEST(Nir, ValidNumbers) {
  auto a = parse_nir("184057512345625");
  ASSERT_TRUE(a.is_ok()) << a.status().message();
  EXPECT_EQ(a->kind, NirKind::kNir);
  EXPECT_EQ(a->sex, Sex::kMale);
  EXPECT_EQ(a->birth_year_2, 84);
  EXPECT_EQ(a->birth_month, 5);
  EXPECT_EQ(a->department, "75");
  EXPECT_FALSE(a->born_abroad);

  auto spaced = parse_nir("1 84 05 75 123 456 25");
  ASSERT_TRUE(spaced.is_ok());
  EXPECT_EQ(spaced->value, "184057512345625");

  auto overseas = parse_nir("290079710512389");
  ASSERT_TRUE(overseas.is_ok()) << overseas.status().message();
  EXPECT_EQ(overseas->department, "971");
  EXPECT_EQ(overseas->sex, Sex::kFemale);

  auto abroad = parse_nir("170029913404596");
  ASSERT_TRUE(abroad.is_ok()) << abroad.status().message();
  EXPECT_TRUE(abroad->born_abroad);

  auto temporary = parse_nir("885121305599996");
  ASSERT_TRUE(temporary.is_ok()) << temporary.status().message();
  EXPECT_EQ(temporary->kind, NirKind::kTemporary);
  EXPECT_EQ(temporary->birth_month, 12);
}

TEST(Nir, Corsica) {
  auto a = parse_nir("291032A00401282");
  ASSERT_TRUE(a.is_ok()) << a.status().message();
  EXPECT_EQ(a->department, "2A");
  auto b = parse_nir("155122b03310141");  // lower case accepted
  ASSERT_TRUE(b.is_ok()) << b.status().message();
  EXPECT_EQ(b->department, "2B");
  EXPECT_EQ(b->value, "155122B03310141");
  // 2A's key differs from the same digits read plainly.
  EXPECT_FALSE(parse_nir("291032A00401283").is_ok());
  EXPECT_EQ(nir_key("291032A004012"), 82);
  EXPECT_EQ(nir_key("155122B033101"), 41);
}

TEST(Nir, EachMistakeHasItsOwnMessage) {
  struct Case {
    const char* nir;
    const char* message;
  } cases[] = {
      {"18405751234562", "15 characters"},
      {"1840575123456255", "15 characters"},
      {"18405X512345625", "must be a digit"},
      {"1840575123456A5", "must be a digit"},
      {"584057512345625", "sex digit"},
      {"184137512345625", "birth month"},
      {"184007512345625", "birth month"},
      {"184050012345625", "department"},
      {"184059600012345", "commune code"},
      {"184057512300025", "order number"},
      {"184057512345626", "key"},
      {"290079790512300", "overseas department"},  // 979 does not exist
  };
  for (const auto& c : cases) {
    auto r = parse_nir(c.nir);
    ASSERT_FALSE(r.is_ok()) << c.nir;
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalid);
    EXPECT_NE(r.status().message().find(c.message), std::string::npos) << c.nir << ": " << r.status().message();
  }
}

TEST(Nir, SpecialMonthsAreAccepted) {
  // Month 20-42 or 50-99: INSEE codes for an incomplete birth date.
  for (const char* body : {"1843075123456", "1845075123456", "1844275123456"}) {
    std::string nir = body;
    int key = nir_key(nir);
    nir += (key < 10 ? "0" : "") + std::to_string(key);
    auto r = parse_nir(nir);
    ASSERT_TRUE(r.is_ok()) << nir << ": " << r.status().message();
    EXPECT_EQ(r->birth_month, 0);
  }
  std::string bad = "1844575123456";
  bad += std::to_string(nir_key(bad));
  EXPECT_FALSE(parse_nir(bad).is_ok());
}

}  // namespace
}  // namespace carnet::identity
