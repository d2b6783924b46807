#include "jobs/scheduler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "core/manual_clock_for_testing.h"
#include "core/temp_dir_for_testing.h"

namespace carnet::jobs {
namespace {

using namespace std::chrono;

using testing::ManualClock;

TEST(Scheduler, RunsOncePerPeriodAcrossInstances) {
  testing::TempDir dir;
  auto a_store = store::open_sqlite({dir.file("carnet.db")});
  auto b_store = store::open_sqlite({dir.file("carnet.db")});
  ASSERT_TRUE(a_store.is_ok() && b_store.is_ok());
  ManualClock clock;
  clock.t = sys_days{year(2026) / 11 / 22};
  std::atomic<int> runs{0};
  auto job = [&] { return Job{"deadlines", hours(1), minutes(10), [&] { runs++; return Status::ok(); }}; };
  Scheduler a(**a_store, clock, "a"), b(**b_store, clock, "b");
  a.add(job());
  b.add(job());

  // Both instances race for the same job many times at the same instant: it runs once.
  std::thread ta([&] { for (int i = 0; i < 20; ++i) ASSERT_TRUE(a.run_due().is_ok()); });
  std::thread tb([&] { for (int i = 0; i < 20; ++i) ASSERT_TRUE(b.run_due().is_ok()); });
  ta.join();
  tb.join();
  EXPECT_EQ(runs.load(), 1);

  clock.t += minutes(59);
  EXPECT_EQ(*a.run_due(), 0);
  EXPECT_EQ(*b.run_due(), 0);
  clock.t += minutes(2);
  EXPECT_EQ(*b.run_due() + *a.run_due(), 1);
  EXPECT_EQ(runs.load(), 2);
}

TEST(Scheduler, LeaseOfACrashedInstanceExpires) {
  testing::TempDir dir;
  auto s = store::open_sqlite({dir.file("carnet.db")});
  ASSERT_TRUE(s.is_ok());
  ManualClock clock;
  clock.t = sys_days{year(2026) / 11 / 22};
  // "crashed" took the lease and never released it.
  ASSERT_TRUE((*s)->transact(store::TxMode::kWrite, [&](store::Transaction& tx) {
    return tx.exec("INSERT INTO job_leases (name, owner, lease_until, next_run_at) VALUES "
                   "('j', 'crashed', '2026-11-22T00:10:00.000Z', '')").status();
  }).is_ok());
  int runs = 0;
  Scheduler sched(**s, clock, "survivor");
  sched.add({"j", hours(1), minutes(10), [&] { runs++; return Status::ok(); }});
  EXPECT_EQ(*sched.run_due(), 0);
  clock.t += minutes(11);
  EXPECT_EQ(*sched.run_due(), 1);
  EXPECT_EQ(runs, 1);
}

TEST(Scheduler, FailingJobIsRecordedAndRetriedNextPeriod) {
  testing::TempDir dir;
  auto s = store::open_sqlite({dir.file("carnet.db")});
  ManualClock clock;
  int runs = 0;
  Scheduler sched(**s, clock, "x");
  sched.add({"flaky", minutes(5), minutes(1), [&] {
               runs++;
               return runs == 1 ? Status::unavailable("smtp down") : Status::ok();
             }});
  EXPECT_EQ(*sched.run_due(), 1);
  ASSERT_TRUE((*s)->transact(store::TxMode::kRead, [&](store::Transaction& tx) {
    auto r = tx.query_one("SELECT last_status FROM job_leases WHERE name = 'flaky'");
    EXPECT_EQ((*r)->text(0), "unavailable: smtp down");
    return Status::ok();
  }).is_ok());
  clock.t += minutes(5);
  EXPECT_EQ(*sched.run_due(), 1);
  EXPECT_EQ(runs, 2);
}

}  // namespace
}  // namespace carnet::jobs
