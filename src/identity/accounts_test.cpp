#include "identity/accounts.h"

#include <gtest/gtest.h>

#include "core/manual_clock_for_testing.h"
#include "core/temp_dir_for_testing.h"
#include "crypto/random.h"
#include "crypto/totp.h"
#include "notify/outbox.h"
#include "store/scalar_for_testing.h"

namespace carnet::identity {
namespace {

using namespace std::chrono;

class AccountsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(store::open_sqlite({dir_.file("carnet.db")}).value());
    SecurityOptions o;
    o.password_cost = {1, 8ull << 20};
    o.session_idle = minutes(30);
    o.session_absolute = hours(12);
    o.free_failures = 3;
    o.max_backoff = minutes(15);
    accounts_ = std::make_unique<Accounts>(*store_, ring_, clock_, o);
    auto secret = accounts_->create_operator("ops@carnet.example", "Un mot de passe solide");
    ASSERT_TRUE(secret.is_ok()) << secret.status().message();
    secret_ = *secret;
  }
  // Signs in with password and the current TOTP step (each step is accepted once: the
  // clock is moved a step forward every time).
  Result<NewSession> sign_in(SessionKind kind = SessionKind::kBearer) {
    clock_.t += seconds(30);
    auto started = accounts_->start_sign_in("ops@carnet.example", "Un mot de passe solide", {"10.0.0.1", "test"});
    if (!started.is_ok()) return started.status();
    int64_t unix = duration_cast<seconds>(clock_.t.time_since_epoch()).count();
    return accounts_->finish_sign_in(started->challenge_id, crypto::hotp(secret_, crypto::totp_step(unix)), kind,
                                     {"10.0.0.1", "test"});
  }
  testing::TempDir dir_;
  testing::ManualClock clock_;
  crypto::KeyRing ring_ = crypto::KeyRing::from_master_key(crypto::random_key());
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Accounts> accounts_;
  std::string secret_;
};

TEST_F(AccountsTest, SessionsExpireWhenIdleAndAtTheirAbsoluteLimit) {
  auto s = sign_in();
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  EXPECT_TRUE(accounts_->authenticate(s->token, SessionKind::kBearer, std::nullopt).is_ok());
  clock_.t += minutes(29);
  EXPECT_TRUE(accounts_->authenticate(s->token, SessionKind::kBearer, std::nullopt).is_ok());  // refreshes idle
  clock_.t += minutes(29);
  EXPECT_TRUE(accounts_->authenticate(s->token, SessionKind::kBearer, std::nullopt).is_ok());
  clock_.t += minutes(31);
  EXPECT_EQ(accounts_->authenticate(s->token, SessionKind::kBearer, std::nullopt).status().code(),
            ErrorCode::kUnauthenticated);  // idle

  auto busy = sign_in();
  ASSERT_TRUE(busy.is_ok());
  for (int i = 0; i < 12 * 3; ++i) {
    clock_.t += minutes(20);
    auto r = accounts_->authenticate(busy->token, SessionKind::kBearer, std::nullopt);
    if (i < 35) {
      ASSERT_TRUE(r.is_ok()) << i;  // used every 20 minutes: alive until 12 h
    } else {
      EXPECT_FALSE(r.is_ok());  // 12 h after sign-in, however busy
    }
  }
}

TEST_F(AccountsTest, TokensAreKindBoundAndStoredHashed) {
  auto cookie = sign_in(SessionKind::kCookie);
  ASSERT_TRUE(cookie.is_ok());
  EXPECT_FALSE(accounts_->authenticate(cookie->token, SessionKind::kBearer, std::nullopt).is_ok());
  EXPECT_TRUE(accounts_->authenticate(cookie->token, SessionKind::kCookie, std::nullopt).is_ok());
  EXPECT_EQ(accounts_->authenticate(cookie->token, SessionKind::kCookie, std::string("wrong")).status().code(),
            ErrorCode::kForbidden);
  EXPECT_TRUE(accounts_->authenticate(cookie->token, SessionKind::kCookie, cookie->csrf_token).is_ok());
  EXPECT_EQ(testing::scalar(*store_, "SELECT COUNT(*) FROM sessions WHERE instr(token_hash, '" + cookie->token + "') > 0"), "0");
  EXPECT_FALSE(accounts_->authenticate("", SessionKind::kBearer, std::nullopt).is_ok());
  EXPECT_FALSE(accounts_->authenticate(std::string(5000, 'x'), SessionKind::kBearer, std::nullopt).is_ok());
}

TEST_F(AccountsTest, WrongCodesAreThrottledAndNeverSucceed) {
  int throttled = 0, wrong = 0;
  for (int i = 0; i < 200; ++i) {
    auto started = accounts_->start_sign_in("ops@carnet.example", "Un mot de passe solide", {"10.0.0.2", "x"});
    if (!started.is_ok()) {
      ASSERT_EQ(started.status().code(), ErrorCode::kThrottled);
      throttled++;
      clock_.t += seconds(1);
      continue;
    }
    for (int k = 0; k < 6; ++k) {
      auto r = accounts_->finish_sign_in(started->challenge_id, "000000", SessionKind::kBearer, {"10.0.0.2", "x"});
      ASSERT_FALSE(r.is_ok());
      if (r.status().code() == ErrorCode::kThrottled) throttled++;
      if (r.status().code() == ErrorCode::kUnauthenticated) wrong++;
    }
  }
  EXPECT_GT(throttled, 100);
  EXPECT_GE(wrong, 3);
  // After the lock period the right code works.
  clock_.t += minutes(16);
  EXPECT_TRUE(sign_in().is_ok());
}

}  // namespace
}  // namespace carnet::identity
