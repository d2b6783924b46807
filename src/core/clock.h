// Time as a dependency: domain code asks a Clock for "now" so tests can move time.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

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

// For tests of long timelines against a running server: the system time plus an offset read
// from a file ("15d", "36h"; see parse_duration), re-read at most every 50 ms. A missing or
// unreadable file means no offset.
class OffsetFileClock final : public Clock {
 public:
  explicit OffsetFileClock(std::string path);
  ~OffsetFileClock() override;
  std::chrono::system_clock::time_point now() const override;

 private:
  struct State;
  std::string path_;
  State* state_;
};

// "2026-11-22T09:38:34.123Z" (UTC, millisecond precision), the FHIR instant format.
std::string format_instant(std::chrono::system_clock::time_point t);

}  // namespace carnet
