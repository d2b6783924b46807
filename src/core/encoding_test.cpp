#include "core/encoding.h"

#include <gtest/gtest.h>

namespace carnet {
namespace {

TEST(Hex, RoundTrip) {
  EXPECT_EQ(hex_encode(std::string("\x00\xff\x10", 3)), "00ff10");
  EXPECT_EQ(hex_decode("00FF10"), std::string("\x00\xff\x10", 3));
  EXPECT_FALSE(hex_decode("abc").has_value());
  EXPECT_FALSE(hex_decode("zz").has_value());
}

TEST(Base64, Rfc4648Vectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_EQ(base64_decode("Zm9vYmE="), "fooba");
  EXPECT_EQ(base64_decode("Zm9vYmE"), "fooba");
  EXPECT_EQ(base64_decode("-_8"), "\xfb\xff");
  EXPECT_FALSE(base64_decode("Zm9v YmE=").has_value());
  EXPECT_FALSE(base64_decode("Z").has_value());
}

TEST(PercentDecode, DecodesAndRejectsMalformed) {
  EXPECT_EQ(percent_decode("/a%20b"), "/a b");
  EXPECT_EQ(percent_decode("%2e%2E"), "..");
  EXPECT_FALSE(percent_decode("%2").has_value());
  EXPECT_FALSE(percent_decode("%zz").has_value());
}

}  // namespace
}  // namespace carnet

namespace carnet {
namespace {

TEST(Base64Streaming, AnySlicingMatchesTheWhole) {
  std::string bytes;
  for (int i = 0; i < 1000; ++i) bytes += static_cast<char>((i * 37 + i / 7) & 0xff);
  for (size_t len : {0u, 1u, 2u, 3u, 4u, 5u, 998u, 1000u}) {
    std::string data = bytes.substr(0, len);
    std::string whole = base64_encode(data);
    for (size_t step : {1u, 2u, 3u, 5u, 64u, 4096u}) {
      Base64Encoder enc;
      std::string encoded;
      for (size_t i = 0; i < data.size(); i += step) enc.feed(std::string_view(data).substr(i, step), encoded);
      enc.finish(encoded);
      EXPECT_EQ(encoded, whole) << len << "/" << step;
      EXPECT_EQ(encoded.size(), Base64Encoder::encoded_size(len));
      Base64Decoder dec;
      std::string decoded;
      for (size_t i = 0; i < whole.size(); i += step) {
        ASSERT_TRUE(dec.feed(std::string_view(whole).substr(i, step), decoded));
      }
      EXPECT_TRUE(dec.finish());
      EXPECT_EQ(decoded, data) << len << "/" << step;
    }
  }
}

TEST(Base64Streaming, RejectsWhatIsNotBase64) {
  std::string out;
  EXPECT_FALSE(Base64Decoder().feed("Zm9v YmFy", out));   // space
  EXPECT_FALSE(Base64Decoder().feed("Zg==Zg==", out));    // data after padding
  EXPECT_FALSE(Base64Decoder().feed("Zg===", out));       // too much padding
  Base64Decoder lone;
  EXPECT_TRUE(lone.feed("Zm9vY", out));
  EXPECT_FALSE(lone.finish());  // a lone trailing character is no byte
}

}  // namespace
}  // namespace carnet
