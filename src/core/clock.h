// Time as a dependency: domain code asks a Clock for "now" so tests can move time.
#pragma once

#include <chrono>
#include <string>

namespace carnet {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point now() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::now();
  }
};

// "2026-11-22T09:38:34.123Z" (UTC, millisecond precision), the FHIR instant format.
std::string format_instant(std::chrono::system_clock::time_point t);

}  // namespace carnet
