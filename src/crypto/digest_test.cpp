#include "crypto/digest.h"

#include <gtest/gtest.h>

#include "core/encoding.h"

namespace carnet::crypto {
namespace {

TEST(Digest, KnownAnswers) {
  EXPECT_EQ(hex_encode(Digest::of(Digest::Algorithm::kSha1, "abc").value()), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(hex_encode(Digest::of(Digest::Algorithm::kSha256, "abc").value()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Digest, PiecesEqualTheWhole) {
  std::string text(100000, 'x');
  for (size_t i = 0; i < text.size(); ++i) text[i] = char(i * 7);
  Digest d(Digest::Algorithm::kSha1);
  for (size_t i = 0; i < text.size(); i += 777) d.update(std::string_view(text).substr(i, 777));
  EXPECT_EQ(d.finish().value(), Digest::of(Digest::Algorithm::kSha1, text).value());
}

TEST(Digest, IsSpentAfterFinish) {
  Digest d(Digest::Algorithm::kSha256);
  d.update("abc");
  ASSERT_TRUE(d.finish().is_ok());
  EXPECT_FALSE(d.finish().is_ok());  // an error, not a digest of nothing
}

}  // namespace
}  // namespace carnet::crypto
