#include "crypto/keyring.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/encoding.h"
#include "crypto/aead.h"

namespace carnet::crypto {
namespace {

namespace fs = std::filesystem;

class KeyRingFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("carnet-keyring-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

SecretKey test_master() {
  std::string raw;
  for (int i = 0; i < 32; ++i) raw += char(i);
  return SecretKey::from_bytes(raw);
}

// Expected values computed independently with Python's hashlib.blake2b, following
// libsodium's crypto_kdf_derive_from_key definition (salt = subkey id, personal = context).
TEST(KeyRing, LookupHashKnownAnswer) {
  KeyRing ring = KeyRing::from_master_key(test_master());
  EXPECT_EQ(ring.fingerprint(), "70b1081d31395686");
  EXPECT_EQ(hex_encode(ring.lookup_hash("ins", "1840575123456")),
            "d13343b3db4425071b1684bd742113320cb4bd53abb92c844df2769c7f8b1321");
  EXPECT_NE(ring.lookup_hash("email", "1840575123456"), ring.lookup_hash("ins", "1840575123456"));
  EXPECT_NE(ring.lookup_hash("ab", "c"), ring.lookup_hash("a", "bc"));
}

TEST(KeyRing, ServiceKeysAreDistinctAndStable) {
  KeyRing ring = KeyRing::from_master_key(test_master());
  EXPECT_EQ(ring.service_key(ServiceKey::kOutbox).view(), ring.service_key(ServiceKey::kOutbox).view());
  EXPECT_NE(ring.service_key(ServiceKey::kOutbox).view(), ring.service_key(ServiceKey::kSessions).view());
  EXPECT_NE(ring.service_key(ServiceKey::kOutbox).view(), test_master().view());
}

TEST(KeyRing, WrapUnwrapBindsIdAndMasterKey) {
  KeyRing ring = KeyRing::from_master_key(test_master());
  auto dk = ring.new_data_key("space-1");
  auto back = ring.unwrap("space-1", dk.wrapped);
  ASSERT_TRUE(back.is_ok());
  EXPECT_EQ(back->view(), dk.key.view());
  EXPECT_EQ(dk.wrapped.find(std::string(dk.key.view())), std::string::npos);

  EXPECT_EQ(ring.unwrap("space-2", dk.wrapped).status().code(), ErrorCode::kCorrupt);
  std::string flipped = dk.wrapped;
  flipped[flipped.size() - 1] ^= 1;
  EXPECT_FALSE(ring.unwrap("space-1", flipped).is_ok());
  EXPECT_FALSE(ring.unwrap("space-1", dk.wrapped.substr(0, 20)).is_ok());

  SecretKey other_master = test_master();
  other_master.data()[0] ^= 0xff;
  auto other = KeyRing::from_master_key(other_master).unwrap("space-1", dk.wrapped);
  ASSERT_FALSE(other.is_ok());
  EXPECT_NE(other.status().message().find("another master key"), std::string::npos);
}

TEST_F(KeyRingFiles, CreatesKeyFile0600AndReloadsIt) {
  std::string path = (dir_ / "data" / "master.key").string();
  auto first = KeyRing::open({path, std::nullopt});
  ASSERT_TRUE(first.is_ok()) << first.status().to_string();
  struct stat st{};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto second = KeyRing::open({path, std::nullopt});
  ASSERT_TRUE(second.is_ok());
  EXPECT_EQ(first->fingerprint(), second->fingerprint());
  auto dk = first->new_data_key("s");
  EXPECT_TRUE(second->unwrap("s", dk.wrapped).is_ok());
}

TEST_F(KeyRingFiles, RefusesKeyFileReadableByOthers) {
  std::string path = (dir_ / "master.key").string();
  ASSERT_TRUE(KeyRing::open({path, std::nullopt}).is_ok());
  ::chmod(path.c_str(), 0640);
  auto r = KeyRing::open({path, std::nullopt});
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("chmod 600"), std::string::npos) << r.status().message();
  ::chmod(path.c_str(), 0604);
  EXPECT_FALSE(KeyRing::open({path, std::nullopt}).is_ok());
}

TEST_F(KeyRingFiles, RefusesSymlinkAndGarbage) {
  fs::create_directories(dir_);
  std::string real = (dir_ / "real.key").string();
  ASSERT_TRUE(KeyRing::open({real, std::nullopt}).is_ok());
  std::string link = (dir_ / "link.key").string();
  fs::create_symlink(real, link);
  EXPECT_FALSE(KeyRing::open({link, std::nullopt}).is_ok());

  std::string garbage = (dir_ / "garbage.key").string();
  { std::ofstream(garbage) << "not a key\n"; }
  ::chmod(garbage.c_str(), 0600);
  auto r = KeyRing::open({garbage, std::nullopt});
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalid);
}

TEST_F(KeyRingFiles, EnvironmentKeyWinsAndIsValidated) {
  std::string hex(64, 'a');
  auto r = KeyRing::open({(dir_ / "unused.key").string(), hex});
  ASSERT_TRUE(r.is_ok());
  EXPECT_FALSE(fs::exists(dir_ / "unused.key"));
  EXPECT_EQ(r->fingerprint(), KeyRing::open({"", base64_encode(*hex_decode(hex))})->fingerprint());
  EXPECT_FALSE(KeyRing::open({"", std::string("short")}).is_ok());
}

}  // namespace
}  // namespace carnet::crypto
