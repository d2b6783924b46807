#include "notify/delivery.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>
#include <sstream>

#include "core/manual_clock_for_testing.h"
#include "core/temp_dir_for_testing.h"
#include "store/scalar_for_testing.h"
#include "crypto/random.h"

namespace carnet::notify {
namespace {

using namespace std::chrono;

using testing::ManualClock;
using testing::scalar;

class FlakyDeliverer final : public Deliverer {
 public:
  Status deliver(int64_t, const Notice& n, const Rendered& r) override {
    last_text = r.text;
    last_to = n.recipient;
    return fail ? Status::unavailable("gateway down") : Status::ok();
  }
  bool fail = false;
  std::string last_text, last_to;
};

class DeliveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(store::open_sqlite({dir_.file("carnet.db")}).value());
    Notice n;
    n.channel = Channel::kEmail;
    n.recipient = "jean@example.fr";
    n.template_id = "enrolment_notice";
    n.params = {{"first_name", "JEAN"}, {"code", "ABCD-EFGH-JKMN"}, {"deadline", "2027-01-03"}};
    ASSERT_TRUE(store_->transact(store::TxMode::kWrite, [&](store::Transaction& tx) {
      return outbox_.enqueue(tx, n, format_instant(clock_.now()));
    }).is_ok());
  }
  testing::TempDir dir_;
  ManualClock clock_;
  crypto::KeyRing ring_ = crypto::KeyRing::from_master_key(crypto::random_key());
  Outbox outbox_{ring_};
  std::unique_ptr<store::Store> store_;
};

TEST_F(DeliveryTest, FileDeliveryRendersFrenchTextAndErasesThePayload) {
  auto file = make_file_deliverer(dir_.file("notices.jsonl"));
  auto r = deliver_pending(*store_, outbox_, *file, clock_);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->sent, 1);
  std::ifstream in(dir_.file("notices.jsonl"));
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("\"to\":\"jean@example.fr\""), std::string::npos);
  EXPECT_NE(text.str().find("Votre code provisoire : ABCD-EFGH-JKMN"), std::string::npos);
  EXPECT_NE(text.str().find("2027-01-03"), std::string::npos);
  EXPECT_EQ(scalar(*store_, "SELECT status FROM outbox"), "sent");
  EXPECT_EQ(scalar(*store_, "SELECT length(payload) FROM outbox"), "0");  // erased: it held the code
  EXPECT_EQ(deliver_pending(*store_, outbox_, *file, clock_)->sent, 0);  // never twice
}

TEST_F(DeliveryTest, TransientFailuresBackOffThenFail) {
  FlakyDeliverer d;
  d.fail = true;
  EXPECT_EQ(deliver_pending(*store_, outbox_, d, clock_, 10, 3)->retried, 1);
  EXPECT_EQ(deliver_pending(*store_, outbox_, d, clock_, 10, 3)->retried, 0);  // not due yet
  clock_.t += minutes(1);
  EXPECT_EQ(deliver_pending(*store_, outbox_, d, clock_, 10, 3)->retried, 1);
  clock_.t += minutes(5);
  EXPECT_EQ(deliver_pending(*store_, outbox_, d, clock_, 10, 3)->failed, 1);
  EXPECT_EQ(scalar(*store_, "SELECT status FROM outbox"), "failed");
  EXPECT_EQ(scalar(*store_, "SELECT last_error FROM outbox"), "gateway down");
}

class CountingDeliverer final : public Deliverer {
 public:
  Status deliver(int64_t, const Notice&, const Rendered&) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    sent++;
    return Status::ok();
  }
  std::atomic<int> sent{0};
};

TEST_F(DeliveryTest, ConcurrentDeliverersNeverSendTwice) {
  for (int i = 0; i < 30; ++i) {
    Notice n;
    n.recipient = "x" + std::to_string(i) + "@example.fr";
    n.template_id = "one_time_code";
    n.params = {{"code", "123456"}};
    ASSERT_TRUE(store_->transact(store::TxMode::kWrite, [&](store::Transaction& tx) {
      return outbox_.enqueue(tx, n, format_instant(clock_.now()));
    }).is_ok());
  }
  CountingDeliverer d;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] { ASSERT_TRUE(deliver_pending(*store_, outbox_, d, clock_).is_ok()); });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(d.sent.load(), 31);  // the fixture's notice and these 30, each once
  EXPECT_EQ(scalar(*store_, "SELECT COUNT(*) FROM outbox WHERE status = 'sent'"), "31");
}

TEST(Templates, MissingParameterAndUnknownTemplate) {
  EXPECT_EQ(render("nope", {}).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(render("enrolment_notice", {{"first_name", "A"}}).status().code(), ErrorCode::kInvalid);
}

}  // namespace
}  // namespace carnet::notify
