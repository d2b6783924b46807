#include "jobs/scheduler.h"

#include "core/log.h"

namespace carnet::jobs {

Scheduler::Scheduler(store::Store& store, const Clock& clock, std::string instance)
    : store_(store), clock_(clock), instance_(std::move(instance)) {}

Scheduler::~Scheduler() { stop(); }

void Scheduler::add(Job job) { jobs_.push_back(std::move(job)); }

Result<bool> Scheduler::acquire(const Job& job, const std::string& now) {
  bool won = false;
  std::string until = format_instant(clock_.now() + job.max_duration);
  Status s = store_.transact(store::TxMode::kWrite, [&](store::Transaction& tx) -> Status {
    auto ins = tx.exec("INSERT INTO job_leases (name) VALUES (?) ON CONFLICT (name) DO NOTHING", {job.name});
    if (!ins.is_ok()) return ins.status();
    auto upd = tx.exec(
        "UPDATE job_leases SET owner = ?, lease_until = ? "
        "WHERE name = ? AND next_run_at <= ? AND (owner = '' OR lease_until < ?)",
        {instance_, until, job.name, now, now});
    if (!upd.is_ok()) return upd.status();
    won = *upd == 1;
    return Status::ok();
  });
  if (!s.is_ok()) return s;
  return won;
}

Result<int> Scheduler::run_due() {
  int ran = 0;
  for (const Job& job : jobs_) {
    std::string now = format_instant(clock_.now());
    auto won = acquire(job, now);
    if (!won.is_ok()) return won.status();
    if (!*won) continue;
    auto started = std::chrono::steady_clock::now();
    Status result;
    try {
      result = job.run();
    } catch (const std::exception& e) {
      result = Status::internal(std::string("exception: ") + e.what());
    }
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    if (result.is_ok()) {
      log::info("job_ran", {{"job", job.name}, {"duration_ms", ms}});
    } else {
      log::error("job_failed", {{"job", job.name}, {"error", result.message()}, {"duration_ms", ms}});
    }
    std::string next = format_instant(clock_.now() + job.period);
    Status release = store_.transact(store::TxMode::kWrite, [&](store::Transaction& tx) {
      return tx.exec("UPDATE job_leases SET owner = '', lease_until = '', next_run_at = ?, last_run_at = ?, "
                     "last_status = ? WHERE name = ? AND owner = ?",
                     {next, now, result.is_ok() ? std::string("ok") : result.to_string(), job.name, instance_})
          .status();
    });
    if (!release.is_ok()) return release;
    ++ran;
  }
  return ran;
}

void Scheduler::start(std::chrono::milliseconds tick) {
  thread_ = std::thread([this, tick] {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      lock.unlock();
      auto r = run_due();
      if (!r.is_ok()) log::warn("scheduler_failed", {{"error", r.status().message()}});
      lock.lock();
      cv_.wait_for(lock, tick, [&] { return stopping_; });
    }
  });
}

void Scheduler::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace carnet::jobs
