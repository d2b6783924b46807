#include "crypto/stream.h"

#include <gtest/gtest.h>

#include "crypto/random.h"

namespace carnet::crypto {
namespace {

struct Encrypted {
  std::string bytes;
};

Encrypted encrypt(const SecretKey& key, const std::string& plain, size_t chunk, std::string_view ad) {
  size_t pos = 0;
  Encrypted e;
  Status s = encrypt_stream(
      key, ad,
      [&](char* buf, size_t cap) -> Result<size_t> {
        size_t n = std::min(cap, plain.size() - pos);
        std::copy_n(plain.data() + pos, n, buf);
        pos += n;
        return n;
      },
      [&](std::string_view out) {
        e.bytes += out;
        return Status::ok();
      },
      chunk);
  EXPECT_TRUE(s.is_ok());
  return e;
}

Result<std::string> decrypt(const SecretKey& key, const std::string& stored, std::string_view ad,
                            size_t read_size = 7) {
  size_t pos = 0;
  std::string plain;
  Status s = decrypt_stream(
      key, ad,
      [&](char* buf, size_t cap) -> Result<size_t> {
        size_t n = std::min({cap, read_size, stored.size() - pos});
        std::copy_n(stored.data() + pos, n, buf);
        pos += n;
        return n;
      },
      [&](std::string_view out) {
        plain += out;
        return Status::ok();
      });
  if (!s.is_ok()) return s;
  return plain;
}

TEST(Stream, RoundTripAcrossChunkSizes) {
  SecretKey key = random_key();
  for (size_t size : {0u, 1u, 99u, 100u, 101u, 1000u, 65536u}) {
    std::string plain = random_bytes(size);
    Encrypted e = encrypt(key, plain, 100, "doc:42");
    auto back = decrypt(key, e.bytes, "doc:42");
    ASSERT_TRUE(back.is_ok()) << size << " " << back.status().to_string();
    EXPECT_EQ(*back, plain);
  }
}

TEST(Stream, TruncationAtAnyPointIsDetected) {
  SecretKey key = random_key();
  std::string plain = random_bytes(350);
  Encrypted e = encrypt(key, plain, 100, "doc");
  for (size_t cut = 0; cut < e.bytes.size(); ++cut) {
    auto r = decrypt(key, e.bytes.substr(0, cut), "doc");
    ASSERT_FALSE(r.is_ok()) << "cut at " << cut;
    EXPECT_EQ(r.status().code(), ErrorCode::kCorrupt);
  }
}

TEST(Stream, TamperingReorderAndWrongContextAreDetected) {
  SecretKey key = random_key();
  std::string plain = random_bytes(300);
  Encrypted e = encrypt(key, plain, 100, "doc");
  for (size_t i = 0; i < e.bytes.size(); i += 3) {
    std::string bad = e.bytes;
    bad[i] = char(bad[i] ^ 0x20);
    EXPECT_FALSE(decrypt(key, bad, "doc").is_ok()) << "byte " << i;
  }
  EXPECT_FALSE(decrypt(key, e.bytes, "other-doc").is_ok());
  EXPECT_FALSE(decrypt(random_key(), e.bytes, "doc").is_ok());
  // Swap the first two chunks (each 4 + 100 + 17 bytes).
  size_t c = 4 + 100 + 17, h = kStreamHeaderBytes;
  std::string swapped = e.bytes.substr(0, h) + e.bytes.substr(h + c, c) + e.bytes.substr(h, c) +
                        e.bytes.substr(h + 2 * c);
  EXPECT_FALSE(decrypt(key, swapped, "doc").is_ok());
  EXPECT_FALSE(decrypt(key, e.bytes + "x", "doc").is_ok());
}

TEST(Stream, FinalFlagsAndKeyReuse) {
  SecretKey key = random_key();
  std::string plain(3 * 1000, 'x');
  Encrypted e = encrypt(key, plain, 1000, "ad");
  // Mark the first chunk final (the flag is the top bit of its frame): refused.
  std::string early = e.bytes;
  early[kStreamHeaderBytes] = char(uint8_t(early[kStreamHeaderBytes]) | 0x80);
  EXPECT_EQ(decrypt(key, early, "ad").status().code(), ErrorCode::kCorrupt);
  // Unmark the last one: the stream never ends.
  std::string endless = e.bytes;
  size_t last_frame = kStreamHeaderBytes + 2 * (1000 + kStreamChunkOverhead);
  endless[last_frame] = char(uint8_t(endless[last_frame]) & 0x7f);
  EXPECT_EQ(decrypt(key, endless, "ad").status().code(), ErrorCode::kCorrupt);
  // The same key for two streams: different salts, different ciphertexts, both readable.
  Encrypted again = encrypt(key, plain, 1000, "ad");
  EXPECT_NE(again.bytes.substr(kStreamHeaderBytes), e.bytes.substr(kStreamHeaderBytes));
  EXPECT_EQ(decrypt(key, again.bytes, "ad").value(), plain);
}

}  // namespace
}  // namespace carnet::crypto
