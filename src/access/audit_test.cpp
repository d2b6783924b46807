#include "access/audit.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/deferred.h"
#include "core/manual_clock_for_testing.h"
#include "core/temp_dir_for_testing.h"
#include "crypto/random.h"

namespace carnet::access {
namespace {

class Audit : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::open_sqlite({dir_.file("carnet.db")});
    ASSERT_TRUE(s.is_ok());
    store_ = std::move(*s);
    log_ = std::make_unique<AuditLog>(*store_, ring_, clock_);
  }
  static AuditEvent event(const std::string& space, const std::string& id) {
    AuditEvent e;
    e.space_id = space;
    e.actor_kind = "professional";
    e.actor_id = "810001234567";
    e.action = "read";
    e.resource_type = "Observation";
    e.resource_id = id;
    e.outcome = "allowed";
    e.reason = "care team";
    return e;
  }
  std::vector<std::string> verify() {
    std::vector<std::string> out;
    EXPECT_TRUE(store_->transact(store::TxMode::kRead, [&](store::Transaction& tx) -> Status {
      auto n = log_->verify(tx, [&](const AuditProblem& p) { out.push_back(p.space_id + "#" + std::to_string(p.seq) + " " + p.what); });
      return n.status();
    }).is_ok());
    return out;
  }
  void sql(const std::string& statement) {
    ASSERT_TRUE(store_->transact(store::TxMode::kWrite, [&](store::Transaction& tx) { return tx.exec(statement).status(); }).is_ok())
        << statement;
  }

  testing::TempDir dir_;
  testing::ManualClock clock_;
  crypto::KeyRing ring_ = crypto::KeyRing::from_master_key(crypto::random_key());
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<AuditLog> log_;
};

TEST_F(Audit, ConcurrentRecordsFormOneChainPerSpace) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        ASSERT_TRUE(log_->record(event(t % 2 ? "space-a" : "space-b", std::to_string(t * 100 + i))).is_ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_TRUE(verify().empty());
  ASSERT_TRUE(store_->transact(store::TxMode::kRead, [&](store::Transaction& tx) -> Status {
    auto list = log_->list(tx, "space-a", false, 0, 1000);
    if (!list.is_ok()) return list.status();
    EXPECT_EQ(list->size(), 200u);
    EXPECT_EQ(list->front().seq, 200);  // newest first, numbered without gaps
    EXPECT_EQ(list->back().seq, 1);
    return Status::ok();
  }).is_ok());
}

TEST_F(Audit, ALargeBatchIsWrittenInFewStatementsAndChainsInOrder) {
  // 151 events of three spaces in one transaction: INSERTs of 64, 64, 16, 4, 2 and 1 rows.
  std::vector<AuditEvent> events;
  for (int i = 0; i < 151; ++i) events.push_back(event("space-" + std::to_string(i % 3), std::to_string(i)));
  ASSERT_TRUE(store_->transact(store::TxMode::kWrite, [&](store::Transaction& tx) {
    return log_->record_in(tx, events);
  }).is_ok());
  ASSERT_TRUE(log_->record(event("space-0", "after")).is_ok());
  EXPECT_TRUE(verify().empty());
  ASSERT_TRUE(store_->transact(store::TxMode::kRead, [&](store::Transaction& tx) -> Status {
    auto list = log_->list(tx, "space-0", false, 0, 1000);
    if (!list.is_ok()) return list.status();
    EXPECT_EQ(list->size(), 52u);
    EXPECT_EQ(list->front().resource_id, "after");
    EXPECT_EQ(list->front().seq, 52);
    EXPECT_EQ(list->back().resource_id, "0");
    EXPECT_EQ((*list)[1].resource_id, "150");  // in the order recorded
    return Status::ok();
  }).is_ok());
}

TEST_F(Audit, VerifyNamesModifiedMissingAndSwappedEvents) {
  for (int i = 1; i <= 10; ++i) ASSERT_TRUE(log_->record(event("space-a", "obs-" + std::to_string(i))).is_ok());
  for (int i = 1; i <= 3; ++i) ASSERT_TRUE(log_->record(event("space-b", "obs-" + std::to_string(i))).is_ok());
  EXPECT_TRUE(verify().empty());
  // One byte of event 2 changed.
  sql("UPDATE audit_events SET resource_id = 'obs-X' WHERE space_id = 'space-a' AND seq = 2");
  // Event 5 removed.
  sql("DELETE FROM audit_events WHERE space_id = 'space-a' AND seq = 5");
  // Events 7 and 8 swapped.
  sql("UPDATE audit_events SET seq = -7 WHERE space_id = 'space-a' AND seq = 7");
  sql("UPDATE audit_events SET seq = 7 WHERE space_id = 'space-a' AND seq = 8");
  sql("UPDATE audit_events SET seq = 8 WHERE space_id = 'space-a' AND seq = -7");
  // The last event of space-b removed.
  sql("DELETE FROM audit_events WHERE space_id = 'space-b' AND seq = 3");
  auto problems = verify();
  std::string all;
  for (const auto& p : problems) all += p + "\n";
  EXPECT_NE(all.find("space-a#2 modified"), std::string::npos) << all;
  EXPECT_NE(all.find("space-a#5 missing"), std::string::npos) << all;
  EXPECT_NE(all.find("space-a#7 modified"), std::string::npos) << all;
  EXPECT_NE(all.find("space-a#8 modified"), std::string::npos) << all;
  EXPECT_NE(all.find("space-b#3 missing"), std::string::npos) << all;
  EXPECT_EQ(all.find("space-a#1 "), std::string::npos) << all;
  EXPECT_EQ(all.find("space-a#10 "), std::string::npos) << all;
}

TEST_F(Audit, InsideARequestTheResponseWaitsInsteadOfTheThread) {
  std::vector<DeferredWaits::Wait> waits;
  {
    DeferredWaits::Scope scope;
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(log_->record(event("space-a", "obs-" + std::to_string(i))).is_ok());
    waits = scope.take();
  }
  ASSERT_EQ(waits.size(), 5u);
  std::mutex mu;
  std::condition_variable cv;
  int durable = 0;
  for (auto& w : waits) {
    w([&](Status s) {
      EXPECT_TRUE(s.is_ok());
      std::lock_guard lock(mu);
      ++durable;
      cv.notify_all();
    });
  }
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return durable == 5; }));
  lock.unlock();
  EXPECT_TRUE(verify().empty());
  EXPECT_FALSE(DeferredWaits::collecting());
}

TEST_F(Audit, AChainCannotBeRewrittenWithoutTheMasterKey) {
  for (int i = 1; i <= 3; ++i) ASSERT_TRUE(log_->record(event("space-a", "obs-" + std::to_string(i))).is_ok());
  // Another key ring (another master key) sees every event as forged.
  auto other_ring = crypto::KeyRing::from_master_key(crypto::random_key());
  AuditLog other(*store_, other_ring, clock_);
  int found = 0;
  ASSERT_TRUE(store_->transact(store::TxMode::kRead, [&](store::Transaction& tx) {
    return other.verify(tx, [&](const AuditProblem&) { ++found; }).status();
  }).is_ok());
  EXPECT_EQ(found, 3);
}

}  // namespace
}  // namespace carnet::access
