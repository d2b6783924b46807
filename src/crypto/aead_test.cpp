#include "crypto/aead.h"

#include <gtest/gtest.h>

#include "core/encoding.h"

namespace carnet::crypto {
namespace {

SecretKey key_from_hex(std::string_view hex) { return SecretKey::from_bytes(*hex_decode(hex)); }

const char kPlain[] =
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the "
    "future, sunscreen would be it.";

// draft-irtf-cfrg-xchacha-03, appendix A.3.1.
TEST(Aead, XChaCha20Poly1305KnownAnswer) {
  SecretKey key = key_from_hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
  std::string nonce = *hex_decode("404142434445464748494a4b4c4d4e4f5051525354555657");
  std::string ad = *hex_decode("50515253c0c1c2c3c4c5c6c7");
  std::string sealed = seal_with_nonce_for_testing(key, nonce, kPlain, ad);
  EXPECT_EQ(hex_encode(sealed),
            "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
            "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452"
            "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"
            "21f9664c97637da9768812f615c68b13b52e"
            "c0875924c1c7987947deafd8780acf49");
  auto opened = open(key, nonce + sealed, ad);
  ASSERT_TRUE(opened.is_ok());
  EXPECT_EQ(*opened, kPlain);
}

TEST(Aead, RoundTripWithRandomNonce) {
  SecretKey key = key_from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  std::string a = seal(key, "hello", "space:1|Patient|p1|1");
  std::string b = seal(key, "hello", "space:1|Patient|p1|1");
  EXPECT_NE(a, b);  // fresh nonce each time
  EXPECT_EQ(a.size(), 5 + kAeadOverhead);
  EXPECT_EQ(*open(key, a, "space:1|Patient|p1|1"), "hello");
  EXPECT_EQ(*open(key, seal(key, "", ""), ""), "");
}

TEST(Aead, EveryFlippedBitIsDetected) {
  SecretKey key = key_from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  std::string sealed = seal(key, "blood type O+", "ad");
  for (size_t i = 0; i < sealed.size() * 8; ++i) {
    std::string bad = sealed;
    bad[i / 8] = char(bad[i / 8] ^ (1 << (i % 8)));
    auto r = open(key, bad, "ad");
    ASSERT_FALSE(r.is_ok()) << "bit " << i;
    EXPECT_EQ(r.status().code(), ErrorCode::kCorrupt);
  }
}

TEST(Aead, WrongAssociatedDataWrongKeyAndTruncationFail) {
  SecretKey key = key_from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  SecretKey other = key_from_hex("ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  std::string sealed = seal(key, "allergy: penicillin", "space:A|AllergyIntolerance|x|1");
  EXPECT_FALSE(open(key, sealed, "space:B|AllergyIntolerance|x|1").is_ok());
  EXPECT_FALSE(open(other, sealed, "space:A|AllergyIntolerance|x|1").is_ok());
  EXPECT_FALSE(open(key, sealed.substr(0, sealed.size() - 1), "space:A|AllergyIntolerance|x|1").is_ok());
  EXPECT_FALSE(open(key, sealed.substr(0, 10), "space:A|AllergyIntolerance|x|1").is_ok());
  EXPECT_FALSE(open(key, "", "").is_ok());
}

}  // namespace
}  // namespace carnet::crypto
