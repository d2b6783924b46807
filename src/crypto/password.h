// Password hashing with Argon2id (PHC string format, salt included). Hashing costs tens to
// hundreds of milliseconds by design: call it from worker threads, never from I/O threads.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>
#include <string>
#include <string_view>

#include "core/status.h"

namespace carnet::crypto {

struct PasswordCost {
  uint64_t ops = 3;             // passes
  uint64_t memory_bytes = 64ull << 20;
};

struct PasswordCheck {
  bool match = false;
  // The stored hash used another cost than the configured one.
  bool needs_rehash = false;
  // Set by verify_and_upgrade when needs_rehash: the password hashed at the current cost,
  // to store in place of the old hash (the transparent re-hash on sign-in).
  std::optional<std::string> upgraded_hash;
};

// Admission and priority for password hashing, the one CPU-heavy step any client can
// trigger at will (a sign-in storm). Hashes run on `threads` threads of their own, at a
// lower CPU priority (nice +10, best effort), so that when the CPU is short, sign-ins slow
// down rather than everything else; at most `slots` hashes run or wait at once, and one
// more is refused at once (kUnavailable: the caller answers 503 with Retry-After) instead of
// tying up a request thread.
class PasswordLane {
 public:
  PasswordLane(int threads, int slots);
  ~PasswordLane();
  PasswordLane(const PasswordLane&) = delete;
  PasswordLane& operator=(const PasswordLane&) = delete;

  // Runs `fn` on a lane thread and returns when it has run; kUnavailable when full.
  Status run(const std::function<void()>& fn);
  int in_flight() const;
  int64_t refused() const;

 private:
  struct Job;
  void loop();
  const int slots_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job*> queue_;
  int in_flight_ = 0;
  int64_t refused_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

class PasswordHasher {
 public:
  // With a lane, hash() and verify_and_upgrade() run on it (see PasswordLane).
  explicit PasswordHasher(PasswordCost cost, PasswordLane* lane = nullptr) : cost_(cost), lane_(lane) {}

  // "$argon2id$v=19$m=65536,t=3,p=1$<salt>$<hash>". kInternal only when out of memory.
  Result<std::string> hash(std::string_view password) const;
  // A malformed stored hash is a mismatch, not an error.
  PasswordCheck verify(std::string_view stored_hash, std::string_view password) const;
  // verify(), and when the password matches a hash of another cost, also computes the
  // replacement hash at the configured cost. kUnavailable when the lane is full.
  Result<PasswordCheck> verify_and_upgrade(std::string_view stored_hash, std::string_view password) const;

 private:
  Result<std::string> hash_here(std::string_view password) const;
  PasswordCost cost_;
  PasswordLane* lane_;
};

// Raw Argon2id (libsodium crypto_pwhash, v1.3) for known-answer tests and key derivation.
// REQUIRES: salt is 16 bytes.
Result<std::string> argon2id_raw(std::string_view password, std::string_view salt, uint64_t ops,
                                 uint64_t memory_bytes, size_t out_len);

}  // namespace carnet::crypto
