#include "documents/vault.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/manual_clock_for_testing.h"
#include "core/temp_dir_for_testing.h"
#include "crypto/random.h"
#include "store/space_keys.h"

namespace carnet::documents {
namespace {

class VaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(crypto::initialize().is_ok());
    clock_.t = std::chrono::system_clock::now();  // blob files carry the real time
    store_ = std::move(store::open_sqlite({dir_.file("carnet.db")}).value());
    blobs_ = std::move(store::open_file_blob_store(dir_.file("blobs")).value());
    vault_ = std::make_unique<Vault>(*blobs_, ring_, clock_, 1 << 20);
    ASSERT_TRUE(write([&](store::Transaction& tx) -> Status {
      for (const char* s : {"space-a", "space-b"}) CARNET_RETURN_IF_ERROR(store::SpaceKeys(ring_).create(tx, s, "now").status());
      return Status::ok();
    }).is_ok());
  }
  Status write(const std::function<Status(store::Transaction&)>& f) { return store_->transact(store::TxMode::kWrite, f); }
  std::string read_all(const BinaryContent& c) {
    auto r = vault_->open(c);
    EXPECT_TRUE(r.is_ok());
    std::string out(c.size + 10, '\0');
    size_t n = 0;
    for (;;) {
      auto k = (*r)->read(out.data() + n, out.size() - n);
      EXPECT_TRUE(k.is_ok());
      if (!k.is_ok() || *k == 0) break;
      n += *k;
    }
    out.resize(n);
    return out;
  }
  size_t files() const {
    size_t n = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir_.file("blobs"))) n += e.is_regular_file();
    return n;
  }

  testing::TempDir dir_;
  testing::ManualClock clock_;
  crypto::KeyRing ring_ = crypto::KeyRing::from_master_key(crypto::random_key());
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<store::BlobStore> blobs_;
  std::unique_ptr<Vault> vault_;
};

TEST_F(VaultTest, AttachedContentReadsBackUnderItsOwnKeyAndPlaceOnly) {
  auto blob = spool_bytes(*blobs_, "%PDF-1.4 lettre de sortie", 1 << 20);
  ASSERT_TRUE(blob.is_ok());
  ASSERT_TRUE(write([&](store::Transaction& tx) { return vault_->attach(tx, "space-a", "bin-1", 1, *blob, "application/pdf"); }).is_ok());
  Status s = write([&](store::Transaction& tx) -> Status {
    auto c = vault_->content(tx, "space-a", "bin-1", 1);
    if (!c.is_ok()) return c.status();
    EXPECT_EQ(c->size, blob->size);
    EXPECT_EQ(c->sha1, blob->sha1);
    EXPECT_EQ(c->content_type, "application/pdf");
    EXPECT_EQ(read_all(*c), "%PDF-1.4 lettre de sortie");
    EXPECT_EQ(vault_->content(tx, "space-a", "bin-1", 2).status().code(), ErrorCode::kNotFound);
    // The sealed key is bound to its place: moved to another space or Binary, it does not open.
    CARNET_RETURN_IF_ERROR(tx.exec("UPDATE binary_contents SET space_id = 'space-b'").status());
    EXPECT_EQ(vault_->content(tx, "space-b", "bin-1", 1).status().code(), ErrorCode::kCorrupt);
    CARNET_RETURN_IF_ERROR(tx.exec("UPDATE binary_contents SET space_id = 'space-a', binary_id = 'bin-2'").status());
    EXPECT_EQ(vault_->content(tx, "space-a", "bin-2", 1).status().code(), ErrorCode::kCorrupt);
    return Status::internal("roll back");
  });
  EXPECT_EQ(s.code(), ErrorCode::kInternal);
}

TEST_F(VaultTest, OrphansAndErasedSpacesAreCollected) {
  auto named = spool_bytes(*blobs_, "kept", 1 << 20);
  auto orphan = spool_bytes(*blobs_, "never named", 1 << 20);
  auto erased = spool_bytes(*blobs_, "of an erased space", 1 << 20);
  ASSERT_TRUE(named.is_ok() && orphan.is_ok() && erased.is_ok());
  ASSERT_TRUE(write([&](store::Transaction& tx) -> Status {
    CARNET_RETURN_IF_ERROR(vault_->attach(tx, "space-a", "bin-1", 1, *named, "text/plain"));
    return vault_->attach(tx, "space-b", "bin-2", 1, *erased, "text/plain");
  }).is_ok());
  EXPECT_EQ(files(), 3u);
  // Young blobs are left alone (an upload may be on its way to its transaction).
  auto none = vault_->collect_orphans(*store_, std::chrono::hours(1));
  ASSERT_TRUE(none.is_ok());
  EXPECT_EQ(*none, 0);
  clock_.t += std::chrono::hours(2);
  auto one = vault_->collect_orphans(*store_, std::chrono::hours(1));
  ASSERT_TRUE(one.is_ok());
  EXPECT_EQ(*one, 1);
  ASSERT_TRUE(write([&](store::Transaction& tx) { return store::SpaceKeys(ring_).shred(tx, "space-b", "opposition", "now"); }).is_ok());
  auto two = vault_->collect_orphans(*store_, std::chrono::hours(1));
  ASSERT_TRUE(two.is_ok());
  EXPECT_EQ(*two, 1);
  EXPECT_EQ(files(), 1u);
  EXPECT_TRUE(blobs_->open(named->blob_id).is_ok());
}

}  // namespace
}  // namespace carnet::documents
