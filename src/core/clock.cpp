#include "core/clock.h"

#include <cstdio>
#include <ctime>
#include <fstream>
#include <mutex>

#include "core/config.h"

namespace carnet {

struct OffsetFileClock::State {
  std::mutex mu;
  std::chrono::steady_clock::time_point checked{};
  std::chrono::milliseconds offset{0};
};

OffsetFileClock::OffsetFileClock(std::string path) : path_(std::move(path)), state_(new State) {}
OffsetFileClock::~OffsetFileClock() { delete state_; }

std::chrono::system_clock::time_point OffsetFileClock::now() const {
  auto steady = std::chrono::steady_clock::now();
  std::lock_guard lock(state_->mu);
  if (steady - state_->checked > std::chrono::milliseconds(50)) {
    state_->checked = steady;
    std::ifstream in(path_);
    std::string text;
    std::getline(in, text);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\r')) text.pop_back();
    auto d = text.empty() ? std::optional<std::chrono::milliseconds>(std::chrono::milliseconds(0)) : parse_duration(text);
    if (d) state_->offset = *d;
  }
  return std::chrono::system_clock::now() + state_->offset;
}

std::string format_instant(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  auto secs = floor<seconds>(t);
  auto ms = duration_cast<milliseconds>(t - secs).count();
  std::time_t tt = system_clock::to_time_t(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, int(ms));
  return buf;
}

}  // namespace carnet
