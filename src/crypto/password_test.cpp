#include "crypto/password.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/encoding.h"

namespace carnet::crypto {
namespace {

constexpr PasswordCost kFast{1, 8ull << 20};

// Computed with the Argon2 reference implementation:
//   echo -n "123" | argon2 ABCDEFGHIJKLMNOP -id -v 13 -k 1024 -t 5
TEST(Password, Argon2idKnownAnswer) {
  auto out = argon2id_raw("123", "ABCDEFGHIJKLMNOP", 5, 1024 * 1024, 32);
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(hex_encode(*out), "3c5d010180ba0cf5b6b858cba23b318e42d33088983c404598599c3b029ecac6");
}

TEST(Password, HashAndVerify) {
  PasswordHasher hasher(kFast);
  auto h = hasher.hash("correct horse battery staple");
  ASSERT_TRUE(h.is_ok());
  EXPECT_EQ(h->rfind("$argon2id$v=19$m=8192,t=1,p=1$", 0), 0u) << *h;
  EXPECT_TRUE(hasher.verify(*h, "correct horse battery staple").match);
  EXPECT_FALSE(hasher.verify(*h, "correct horse battery stapler").match);
  EXPECT_FALSE(hasher.verify(*h, "").match);
  EXPECT_NE(*hasher.hash("same"), *hasher.hash("same"));  // salted
}

TEST(Password, MalformedStoredHashIsAMismatch) {
  PasswordHasher hasher(kFast);
  EXPECT_FALSE(hasher.verify("", "x").match);
  EXPECT_FALSE(hasher.verify("$argon2id$garbage", "x").match);
  EXPECT_FALSE(hasher.verify(std::string(500, 'a'), "x").match);
  EXPECT_FALSE(hasher.verify("$2y$10$abcdefghijklmnopqrstuu", "x").match);
}

TEST(Password, CostChangeAsksForRehash) {
  PasswordHasher old_cost(kFast);
  PasswordHasher new_cost({2, 16ull << 20});
  auto h = old_cost.hash("a long enough passphrase");
  ASSERT_TRUE(h.is_ok());
  PasswordCheck same = old_cost.verify(*h, "a long enough passphrase");
  EXPECT_TRUE(same.match);
  EXPECT_FALSE(same.needs_rehash);
  PasswordCheck changed = new_cost.verify(*h, "a long enough passphrase");
  EXPECT_TRUE(changed.match);
  EXPECT_TRUE(changed.needs_rehash);
  auto rehashed = new_cost.hash("a long enough passphrase");
  EXPECT_FALSE(new_cost.verify(*rehashed, "a long enough passphrase").needs_rehash);
  // A wrong password never asks for a re-hash (nothing to re-hash it with).
  EXPECT_FALSE(new_cost.verify(*h, "wrong").needs_rehash);
}

TEST(Password, TransparentUpgradeOnVerify) {
  PasswordHasher old_cost(kFast);
  PasswordHasher new_cost({2, 16ull << 20});
  auto h = old_cost.hash("a long enough passphrase");
  PasswordCheck check = *new_cost.verify_and_upgrade(*h, "a long enough passphrase");
  ASSERT_TRUE(check.match);
  ASSERT_TRUE(check.upgraded_hash.has_value());
  EXPECT_EQ(check.upgraded_hash->rfind("$argon2id$v=19$m=16384,t=2,p=1$", 0), 0u) << *check.upgraded_hash;
  PasswordCheck again = *new_cost.verify_and_upgrade(*check.upgraded_hash, "a long enough passphrase");
  EXPECT_TRUE(again.match);
  EXPECT_FALSE(again.upgraded_hash.has_value());
  EXPECT_FALSE(new_cost.verify_and_upgrade(*h, "wrong")->upgraded_hash.has_value());
}

TEST(PasswordLane, RunsHashesOnItsThreadsAndRefusesBeyondItsSlots) {
  PasswordLane lane(1, 2);
  PasswordHasher hasher(kFast, &lane);
  auto h = hasher.hash("a long enough passphrase");
  ASSERT_TRUE(h.is_ok());
  auto check = hasher.verify_and_upgrade(*h, "a long enough passphrase");
  ASSERT_TRUE(check.is_ok());
  EXPECT_TRUE(check->match);

  // Two jobs hold both slots (the first runs, the second waits): a third is refused at once.
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  auto hold = [&] {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return release; });
  };
  std::thread a([&] { EXPECT_TRUE(lane.run(hold).is_ok()); });
  std::thread b([&] { EXPECT_TRUE(lane.run(hold).is_ok()); });
  while (lane.in_flight() < 2) std::this_thread::yield();
  auto refused = hasher.verify_and_upgrade(*h, "a long enough passphrase");
  EXPECT_EQ(refused.status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(hasher.hash("x").status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(lane.refused(), 2);
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  a.join();
  b.join();
  EXPECT_EQ(lane.in_flight(), 0);
  EXPECT_TRUE(hasher.verify_and_upgrade(*h, "a long enough passphrase").is_ok());
}

}  // namespace
}  // namespace carnet::crypto
