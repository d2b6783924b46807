// Password hashing with Argon2id (PHC string format, salt included). Hashing costs tens to
// hundreds of milliseconds by design: call it from worker threads, never from I/O threads.
#pragma once

#include <cstdint>
#include <optional>
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

class PasswordHasher {
 public:
  explicit PasswordHasher(PasswordCost cost) : cost_(cost) {}

  // "$argon2id$v=19$m=65536,t=3,p=1$<salt>$<hash>". kInternal only when out of memory.
  Result<std::string> hash(std::string_view password) const;
  // A malformed stored hash is a mismatch, not an error.
  PasswordCheck verify(std::string_view stored_hash, std::string_view password) const;
  // verify(), and when the password matches a hash of another cost, also computes the
  // replacement hash at the configured cost.
  PasswordCheck verify_and_upgrade(std::string_view stored_hash, std::string_view password) const;

 private:
  PasswordCost cost_;
};

// Raw Argon2id (libsodium crypto_pwhash, v1.3) for known-answer tests and key derivation.
// REQUIRES: salt is 16 bytes.
Result<std::string> argon2id_raw(std::string_view password, std::string_view salt, uint64_t ops,
                                 uint64_t memory_bytes, size_t out_len);

}  // namespace carnet::crypto
