#include "store/space_keys.h"

#include <gtest/gtest.h>

#include "core/temp_dir_for_testing.h"
#include "crypto/aead.h"
#include "crypto/random.h"

namespace carnet::store {
namespace {

class SpaceKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = open_sqlite({dir_.file("carnet.db")});
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    store_ = std::move(s.value());
  }
  testing::TempDir dir_;
  crypto::KeyRing ring_ = crypto::KeyRing::from_master_key(crypto::random_key());
  SpaceKeys keys_{ring_};
  std::unique_ptr<Store> store_;
};

TEST_F(SpaceKeysTest, CreateGetShred) {
  std::string sealed;
  ASSERT_TRUE(store_->transact(TxMode::kWrite, [&](Transaction& tx) {
    auto k = keys_.create(tx, "space-1", "2026-11-22T10:00:00.000Z");
    if (!k.is_ok()) return k.status();
    sealed = crypto::seal(*k, "vaccin grippe 2026", "space-1");
    return Status::ok();
  }).is_ok());

  ASSERT_TRUE(store_->transact(TxMode::kRead, [&](Transaction& tx) {
    auto k = keys_.get(tx, "space-1");
    EXPECT_TRUE(k.is_ok());
    EXPECT_EQ(*crypto::open(*k, sealed, "space-1"), "vaccin grippe 2026");
    // The stored form is wrapped: the raw key is nowhere in the row.
    auto row = tx.query_one("SELECT wrapped_key FROM space_keys WHERE space_id = 'space-1'");
    EXPECT_EQ((*row)->text(0).find(std::string(k->view())), std::string::npos);
    return Status::ok();
  }).is_ok());

  Status dup = store_->transact(TxMode::kWrite, [&](Transaction& tx) {
    return keys_.create(tx, "space-1", "now").status();
  });
  EXPECT_EQ(dup.code(), ErrorCode::kConflict);

  ASSERT_TRUE(store_->transact(TxMode::kWrite, [&](Transaction& tx) {
    return keys_.shred(tx, "space-1", "opposition", "2026-11-23T10:00:00.000Z");
  }).is_ok());
  ASSERT_TRUE(store_->purge_deleted().is_ok());

  Status after = store_->transact(TxMode::kRead, [&](Transaction& tx) { return keys_.get(tx, "space-1").status(); });
  EXPECT_EQ(after.code(), ErrorCode::kNotFound);
  EXPECT_NE(after.message().find("erased"), std::string::npos);
  Status recreate = store_->transact(TxMode::kWrite, [&](Transaction& tx) {
    return keys_.create(tx, "space-1", "now").status();
  });
  EXPECT_EQ(recreate.code(), ErrorCode::kConflict);
  Status unknown = store_->transact(TxMode::kRead, [&](Transaction& tx) { return keys_.get(tx, "nope").status(); });
  EXPECT_EQ(unknown.code(), ErrorCode::kNotFound);
}

TEST_F(SpaceKeysTest, TamperedWrappedKeyIsCorrupt) {
  ASSERT_TRUE(store_->transact(TxMode::kWrite, [&](Transaction& tx) {
    return keys_.create(tx, "space-2", "now").status();
  }).is_ok());
  ASSERT_TRUE(store_->transact(TxMode::kWrite, [&](Transaction& tx) {
    // Move space-2's key to space-3: the wrapping binds the id, so it must not unwrap.
    return tx.exec("INSERT INTO space_keys SELECT 'space-3', wrapped_key, master_fingerprint, created_at "
                   "FROM space_keys WHERE space_id = 'space-2'").status();
  }).is_ok());
  Status s = store_->transact(TxMode::kRead, [&](Transaction& tx) { return keys_.get(tx, "space-3").status(); });
  EXPECT_EQ(s.code(), ErrorCode::kCorrupt);
}

}  // namespace
}  // namespace carnet::store
