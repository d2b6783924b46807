// Key material. A SecretKey is 32 bytes that are wiped when it dies and never printed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

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

// Must be called once before any other crypto function; safe to call many times.
void initialize();

}  // namespace carnet::crypto
