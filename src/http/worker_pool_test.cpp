#include "http/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

namespace carnet::http {
namespace {

TEST(WorkerPool, RunsEverythingQueuedBeforeShutdown) {
  std::atomic<int> done{0};
  WorkerPool pool(3, 1000);
  for (int i = 0; i < 500; ++i) ASSERT_TRUE(pool.try_submit([&] { done++; }));
  pool.shutdown();
  EXPECT_EQ(done.load(), 500);
  EXPECT_FALSE(pool.try_submit([] {}));
}

TEST(WorkerPool, BoundedQueueShedsLoad) {
  WorkerPool pool(1, 2);
  std::promise<void> release;
  auto gate = release.get_future().share();
  std::promise<void> started;
  ASSERT_TRUE(pool.try_submit([&] {
    started.set_value();
    gate.wait();
  }));
  started.get_future().wait();
  EXPECT_TRUE(pool.try_submit([gate] { gate.wait(); }));
  EXPECT_TRUE(pool.try_submit([gate] { gate.wait(); }));
  EXPECT_EQ(pool.queue_depth(), 2u);
  EXPECT_FALSE(pool.try_submit([] {}));
  release.set_value();
}

TEST(WorkerPool, ThrowingTaskDoesNotKillTheWorker) {
  WorkerPool pool(1, 10);
  std::promise<int> p;
  ASSERT_TRUE(pool.try_submit([] { throw std::runtime_error("x"); }));
  ASSERT_TRUE(pool.try_submit([&] { p.set_value(7); }));
  EXPECT_EQ(p.get_future().get(), 7);
}

}  // namespace
}  // namespace carnet::http
