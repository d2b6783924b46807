// libsodium adapter: Argon2id password hashing.
#include "crypto/password.h"
#include "crypto/secret.h"
#include "crypto/initialized.h"

#include <sodium.h>

#include <algorithm>
#include <sys/resource.h>
#include <unistd.h>

namespace carnet::crypto {

struct PasswordLane::Job {
  const std::function<void()>* fn = nullptr;
  bool done = false;
  std::condition_variable finished;
};

PasswordLane::PasswordLane(int threads, int slots) : slots_(std::max(1, slots)) {
  for (int i = 0; i < std::max(1, threads); ++i) threads_.emplace_back([this] { loop(); });
}

PasswordLane::~PasswordLane() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

Status PasswordLane::run(const std::function<void()>& fn) {
  Job job;
  job.fn = &fn;
  std::unique_lock lock(mu_);
  if (stopping_) return Status::unavailable("shutting down");
  if (in_flight_ >= slots_) {
    ++refused_;
    return Status::unavailable("Beaucoup de connexions en ce moment : réessayez dans quelques secondes.");
  }
  ++in_flight_;
  queue_.push_back(&job);
  cv_.notify_one();
  job.finished.wait(lock, [&] { return job.done; });
  --in_flight_;
  return Status::ok();
}

int PasswordLane::in_flight() const {
  std::lock_guard lock(mu_);
  return in_flight_;
}

int64_t PasswordLane::refused() const {
  std::lock_guard lock(mu_);
  return refused_;
}

void PasswordLane::loop() {
  // Lower priority for this thread only (Linux: a thread is a schedulable task of its own).
  // Failure (a sandbox forbidding it) leaves the normal priority.
  (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 10);
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left
    Job* job = queue_.front();
    queue_.pop_front();
    lock.unlock();
    (*job->fn)();
    lock.lock();
    job->done = true;
    job->finished.notify_one();
  }
}

Result<std::string> PasswordHasher::hash(std::string_view password) const {
  if (!lane_) return hash_here(password);
  Result<std::string> out = Status::internal("password hashing did not run");
  CARNET_RETURN_IF_ERROR(lane_->run([&] { out = hash_here(password); }));
  return out;
}

Result<std::string> PasswordHasher::hash_here(std::string_view password) const {
  CARNET_RETURN_IF_ERROR(initialize());
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), cost_.ops,
                            size_t(cost_.memory_bytes), crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Status::internal("password hashing ran out of memory");
  }
  return std::string(out);
}

PasswordCheck PasswordHasher::verify(std::string_view stored_hash, std::string_view password) const {
  require_initialized();
  PasswordCheck check;
  if (stored_hash.empty() || stored_hash.size() >= crypto_pwhash_STRBYTES) return check;
  char buf[crypto_pwhash_STRBYTES] = {};
  stored_hash.copy(buf, stored_hash.size());
  if (stored_hash.rfind("$argon2id$", 0) != 0) return check;
  check.match = crypto_pwhash_str_verify(buf, password.data(), password.size()) == 0;
  if (check.match) {
    check.needs_rehash =
        crypto_pwhash_str_needs_rehash(buf, cost_.ops, size_t(cost_.memory_bytes)) != 0;
  }
  return check;
}

Result<PasswordCheck> PasswordHasher::verify_and_upgrade(std::string_view stored_hash, std::string_view password) const {
  PasswordCheck check;
  auto work = [&] {
    check = verify(stored_hash, password);
    if (check.match && check.needs_rehash) {
      auto fresh = hash_here(password);
      if (fresh.is_ok()) check.upgraded_hash = std::move(fresh.value());
    }
  };
  if (!lane_) {
    work();
  } else {
    CARNET_RETURN_IF_ERROR(lane_->run(work));
  }
  return check;
}

Result<std::string> argon2id_raw(std::string_view password, std::string_view salt, uint64_t ops,
                                 uint64_t memory_bytes, size_t out_len) {
  CARNET_RETURN_IF_ERROR(initialize());
  if (salt.size() != crypto_pwhash_SALTBYTES) return Status::invalid("salt must be 16 bytes");
  std::string out(out_len, '\0');
  if (crypto_pwhash(reinterpret_cast<unsigned char*>(out.data()), out_len, password.data(),
                    password.size(), reinterpret_cast<const unsigned char*>(salt.data()), ops,
                    size_t(memory_bytes), crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Status::internal("argon2id failed (parameters out of range or out of memory)");
  }
  return out;
}

}  // namespace carnet::crypto
