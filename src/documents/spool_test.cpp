#include <gtest/gtest.h>

#include <filesystem>

#include "core/encoding.h"
#include "core/temp_dir_for_testing.h"
#include "crypto/digest.h"
#include "crypto/secret.h"
#include "documents/json_spool.h"
#include "documents/spool.h"

namespace carnet::documents {
namespace {

class SpoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(crypto::initialize().is_ok());
    auto b = store::open_file_blob_store(dir_.file("blobs"));
    ASSERT_TRUE(b.is_ok());
    blobs_ = std::move(*b);
  }
  size_t files() const {
    size_t n = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir_.path())) n += e.is_regular_file();
    return n;
  }
  std::string read_back(const SpooledBlob& b, size_t cap = 1000) {
    auto r = BlobPlainReader::open(*blobs_, b.blob_id, b.key, b.size);
    EXPECT_TRUE(r.is_ok());
    std::string out;
    std::string buf(cap, '\0');
    for (;;) {
      auto n = (*r)->read(buf.data(), cap);
      EXPECT_TRUE(n.is_ok()) << n.status().message();
      if (!n.is_ok() || *n == 0) break;
      out.append(buf.data(), *n);
    }
    return out;
  }
  testing::TempDir dir_;
  std::unique_ptr<store::BlobStore> blobs_;
};

std::string pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = char((i * 131 + i / 1000) & 0xff);
  return s;
}

TEST_F(SpoolTest, RoundTripsAndHashes) {
  std::string doc = "%PDF-1.4\n" + pattern(300000);
  auto s = BlobSpool::open(*blobs_, 1 << 20);
  ASSERT_TRUE(s.is_ok());
  for (size_t i = 0; i < doc.size(); i += 7001) ASSERT_TRUE((*s)->write(std::string_view(doc).substr(i, 7001)).is_ok());
  auto b = (*s)->finish();
  ASSERT_TRUE(b.is_ok());
  EXPECT_EQ(b->size, doc.size());
  EXPECT_EQ(b->sha1, crypto::Digest::of(crypto::Digest::Algorithm::kSha1, doc).value());
  EXPECT_EQ(b->head, doc.substr(0, kSniffBytes));
  EXPECT_FALSE(b->text);
  EXPECT_EQ(read_back(*b), doc);
  EXPECT_EQ(read_back(*b, 65536 * 3), doc);
}

TEST_F(SpoolTest, StoredBytesAreCiphertextAndTamperingIsCaught) {
  std::string doc = "Compte rendu confidentiel: " + std::string(5000, 'x');
  auto b = spool_bytes(*blobs_, doc, 1 << 20);
  ASSERT_TRUE(b.is_ok());
  EXPECT_TRUE(b->text);
  std::string path;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir_.path())) {
    if (e.is_regular_file()) path = e.path();
  }
  std::string stored;
  {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) stored.append(buf, n);
    std::fclose(f);
  }
  EXPECT_EQ(stored.find("confidentiel"), std::string::npos);
  stored[stored.size() / 2] ^= 1;
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    std::fwrite(stored.data(), 1, stored.size(), f);
    std::fclose(f);
  }
  auto r = BlobPlainReader::open(*blobs_, b->blob_id, b->key, b->size);
  ASSERT_TRUE(r.is_ok());
  char buf[100000];
  Status failed = Status::ok();
  for (;;) {
    auto n = (*r)->read(buf, sizeof buf);
    if (!n.is_ok()) {
      failed = n.status();
      break;
    }
    if (*n == 0) break;
  }
  EXPECT_EQ(failed.code(), ErrorCode::kCorrupt);
}

TEST_F(SpoolTest, LimitAndAbandonLeaveNothing) {
  {
    auto s = BlobSpool::open(*blobs_, 1000);
    ASSERT_TRUE(s.is_ok());
    ASSERT_TRUE((*s)->write(std::string(600, 'a')).is_ok());
    EXPECT_EQ((*s)->write(std::string(600, 'a')).code(), ErrorCode::kTooLarge);
  }
  EXPECT_EQ(files(), 0u);
}

TEST_F(SpoolTest, JsonSpoolKeepsTheTextAndSpoolsLongData) {
  std::string doc = "%PDF-1.7\n" + pattern(200000);
  std::string small = "hello";
  std::string body = R"({"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Binary","contentType":"application/pdf","data":")" +
                     base64_encode(doc) + R"("}},{"resource":{"resourceType":"Binary","data":")" + base64_encode(small) +
                     R"(","note":"data \"quoted\" here"}}]})";
  for (size_t step : {1u, 13u, 4096u, 1u << 20}) {
    JsonSpool spool(*blobs_, JsonSpoolLimits{});
    for (size_t i = 0; i < body.size(); i += step) ASSERT_TRUE(spool.write(std::string_view(body).substr(i, step)).is_ok());
    ASSERT_TRUE(spool.finish().is_ok());
    const std::string& text = spool.text();
    EXPECT_LT(text.size(), 400u) << step;
    EXPECT_NE(text.find(R"("data":")" + base64_encode(small) + "\""), std::string::npos);  // short data stays
    size_t at = text.find("carnet-spool:");
    ASSERT_NE(at, std::string::npos);
    std::string marker = text.substr(at, text.find('"', at) - at);
    EXPECT_FALSE(spool.take("carnet-spool:forged:0").has_value());
    auto b = spool.take(marker);
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ(b->size, doc.size());
    EXPECT_EQ(read_back(*b), doc);
    EXPECT_FALSE(spool.take(marker).has_value());  // once
    ASSERT_TRUE(blobs_->remove(b->blob_id).is_ok());
  }
  EXPECT_EQ(files(), 0u);
}

TEST_F(SpoolTest, JsonSpoolRefusesBadDataAndCleansUp) {
  std::string big(100000, 'A');
  for (std::string bad : {R"({"data":")" + big + R"(!!"})", R"({"data":")" + big + R"(\n"})", R"({"data":")" + big + R"(A"})"}) {
    JsonSpool spool(*blobs_, JsonSpoolLimits{});
    Status s = spool.write(bad);
    EXPECT_EQ(s.code(), ErrorCode::kInvalid) << bad.substr(100000);
  }
  {
    JsonSpoolLimits tight;
    tight.max_document_bytes = 50000;
    JsonSpool spool(*blobs_, tight);
    EXPECT_EQ(spool.write(R"({"data":")" + big + "\"}").code(), ErrorCode::kTooLarge);
  }
  {
    JsonSpool spool(*blobs_, JsonSpoolLimits{});  // complete, never taken: removed with the spool
    ASSERT_TRUE(spool.write(R"({"data":")" + big + "\"}").is_ok());
    EXPECT_EQ(spool.untaken(), 1u);
  }
  {
    JsonSpool spool(*blobs_, JsonSpoolLimits{});
    ASSERT_TRUE(spool.write(R"({"data":"abc)").is_ok());
    EXPECT_FALSE(spool.finish().is_ok());
  }
  EXPECT_EQ(files(), 0u);
}

}  // namespace
}  // namespace carnet::documents
