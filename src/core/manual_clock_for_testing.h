// Tests only: a clock that stays where it is put.
#pragma once

#include <chrono>

#include "core/clock.h"

namespace carnet::testing {

class ManualClock final : public Clock {
 public:
  // 2026-11-22 10:00 UTC unless told otherwise.
  std::chrono::system_clock::time_point now() const override { return t; }
  std::chrono::system_clock::time_point t =
      std::chrono::sys_days{std::chrono::year(2026) / 11 / 22} + std::chrono::hours(10);
};

}  // namespace carnet::testing
