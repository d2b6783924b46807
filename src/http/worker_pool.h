// A fixed pool of threads running request handlers (storage, crypto, file reads) so that
// I/O threads never block. Bounded queue: when full, callers shed load (HTTP 503).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace carnet::http {

class WorkerPool {
 public:
  WorkerPool(int threads, size_t queue_limit);
  ~WorkerPool();  // shutdown()
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task`; false when the queue is full or the pool is shut down (task not run).
  bool try_submit(std::function<void()> task);
  size_t queue_depth() const;
  // Stops taking tasks, runs those already queued, joins the threads. Idempotent.
  void shutdown();

 private:
  void loop();
  const size_t queue_limit_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace carnet::http
