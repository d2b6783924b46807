#include "crypto/totp.h"

#include <gtest/gtest.h>

namespace carnet::crypto {
namespace {

const std::string kRfcSecret = "12345678901234567890";

// RFC 4226 appendix D.
TEST(Hotp, Rfc4226Vectors) {
  const char* expected[] = {"755224", "287082", "359152", "969429", "338314",
                            "254676", "287922", "162583", "399871", "520489"};
  for (uint64_t i = 0; i < 10; ++i) EXPECT_EQ(hotp(kRfcSecret, i), expected[i]) << i;
}

// RFC 6238 appendix B (SHA-1 column, 8 digits).
TEST(Totp, Rfc6238Vectors) {
  struct {
    int64_t t;
    const char* code;
  } vectors[] = {{59, "94287082"}, {1111111109, "07081804"}, {1111111111, "14050471"},
                 {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"}};
  for (const auto& v : vectors) EXPECT_EQ(hotp(kRfcSecret, totp_step(v.t), 8), v.code) << v.t;
}

TEST(Totp, WindowOfOneStepAndNoMore) {
  int64_t t = 1'800'000'000;
  std::string now = hotp(kRfcSecret, totp_step(t));
  EXPECT_EQ(totp_match(kRfcSecret, now, t), totp_step(t));
  EXPECT_EQ(totp_match(kRfcSecret, hotp(kRfcSecret, totp_step(t) - 1), t), totp_step(t) - 1);
  EXPECT_EQ(totp_match(kRfcSecret, hotp(kRfcSecret, totp_step(t) + 1), t), totp_step(t) + 1);
  EXPECT_FALSE(totp_match(kRfcSecret, hotp(kRfcSecret, totp_step(t) - 2), t));
  EXPECT_FALSE(totp_match(kRfcSecret, hotp(kRfcSecret, totp_step(t) + 2), t));
  EXPECT_FALSE(totp_match(kRfcSecret, "12345", t));
  EXPECT_FALSE(totp_match(kRfcSecret, "", t));
}

TEST(Totp, Base32AndUri) {
  EXPECT_EQ(base32_encode("foobar"), "MZXW6YTBOI");  // RFC 4648 test vector, unpadded
  EXPECT_EQ(base32_encode(kRfcSecret), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  EXPECT_EQ(otpauth_uri("Carnet", "jean@example.fr", kRfcSecret),
            "otpauth://totp/Carnet:jean%40example.fr?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Carnet"
            "&algorithm=SHA1&digits=6&period=30");
}

}  // namespace
}  // namespace carnet::crypto
