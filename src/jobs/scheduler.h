// Scheduled jobs (opposition deadlines, notice delivery, majority...). Each job runs at most
// once per period across all carnetd instances sharing the database: an instance takes the
// job's lease in the database before running it (a conditional UPDATE that only one
// instance can win), and a lease left by a crashed instance expires.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "store/store.h"

namespace carnet::jobs {

struct Job {
  std::string name;
  std::chrono::milliseconds period;
  std::chrono::milliseconds max_duration{std::chrono::minutes(10)};  // lease length
  std::function<Status()> run;
};

class Scheduler {
 public:
  // `instance` identifies this process in leases (host:pid and a random suffix).
  Scheduler(store::Store& store, const Clock& clock, std::string instance);
  ~Scheduler();  // stop()

  void add(Job job);
  // Runs every job that is due and whose lease this instance wins; returns how many ran.
  // Used by the background thread and directly by tests and the `carnet` tool.
  Result<int> run_due();
  // Background thread calling run_due() every `tick`.
  void start(std::chrono::milliseconds tick = std::chrono::seconds(5));
  void stop();

 private:
  Result<bool> acquire(const Job& job, const std::string& now);
  store::Store& store_;
  const Clock& clock_;
  std::string instance_;
  std::vector<Job> jobs_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace carnet::jobs
