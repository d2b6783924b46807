// Key material. A SecretKey is 32 bytes that are wiped when it dies and never printed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace carnet::crypto {

inline constexpr size_t kKeyBytes = 32;

class SecretKey {
 public:
  SecretKey() { bytes_.fill(0); }
  // REQUIRES: raw.size() == kKeyBytes.
  static SecretKey from_bytes(std::string_view raw);
  SecretKey(const SecretKey& other) = default;
  SecretKey& operator=(const SecretKey& other) = default;
  ~SecretKey();

  const uint8_t* data() const { return bytes_.data(); }
  uint8_t* data() { return bytes_.data(); }
  static constexpr size_t size() { return kKeyBytes; }
  std::string_view view() const { return {reinterpret_cast<const char*>(bytes_.data()), kKeyBytes}; }

 private:
  std::array<uint8_t, kKeyBytes> bytes_;
};

// Starts libsodium (its generator keyed from getrandom(2)); safe to call many times. Fails
// only when the system gives no randomness. KeyRing::open calls it, so carnetd and the carnet
// tool refuse to start with this error instead of running without a random source.
Status initialize();

}  // namespace carnet::crypto
