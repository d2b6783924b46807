#include "core/log.h"

#include "core/clock.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <mutex>

namespace carnet::log {
namespace {

thread_local std::string_view t_request_id;
std::atomic<int> g_min_level{int(Level::kInfo)};

// A sink that appends formatted lines to a buffer and writes it to a file descriptor when it
// fills up or on flush: one write(2) per batch instead of one per line, which matters on the
// request path (the access log writes a line per request).
class BufferedFdSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit BufferedFdSink(int fd) : fd_(fd) { buffer_.reserve(kCapacity); }
  ~BufferedFdSink() override { write_out(); }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    buffer_.append(msg.payload.data(), msg.payload.size());
    buffer_ += '\n';
    if (buffer_.size() >= kCapacity) write_out();
  }
  void flush_() override { write_out(); }

 private:
  static constexpr size_t kCapacity = 64 * 1024;
  void write_out() {
    size_t off = 0;
    while (off < buffer_.size()) {
      ssize_t n = ::write(fd_, buffer_.data() + off, buffer_.size() - off);
      if (n <= 0) break;  // nowhere to report a failing log stream; drop the batch
      off += size_t(n);
    }
    buffer_.clear();
  }
  int fd_;
  std::string buffer_;
};

const char* level_name(Level l) {
  switch (l) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}

// format_instant, with the part up to the second cached per thread.
void append_timestamp(std::string& out) {
  using namespace std::chrono;
  thread_local int64_t cached_second = -1;
  thread_local std::string cached_prefix;  // "2026-11-22T09:38:34."
  auto now = system_clock::now();
  int64_t ms = duration_cast<milliseconds>(now.time_since_epoch()).count();
  int64_t second = ms / 1000;
  if (second != cached_second) {
    std::string full = format_instant(now);
    cached_prefix = full.substr(0, full.size() - 4);
    cached_second = second;
  }
  out += cached_prefix;
  int frac = int(ms % 1000);
  out += char('0' + frac / 100);
  out += char('0' + frac / 10 % 10);
  out += char('0' + frac % 10);
  out += 'Z';
}

struct Batch {
  bool enabled = false;
  std::string lines;  // '\n'-separated, without the final '\n'
  ~Batch();
};
thread_local Batch t_batch;
constexpr size_t kBatchLimit = 32 * 1024;
std::shared_ptr<spdlog::logger>& logger() {
  static std::shared_ptr<spdlog::logger> instance;
  return instance;
}

std::once_flag g_init_once;

void ensure_logger() {
  std::call_once(g_init_once, [] {
    auto sink = std::make_shared<BufferedFdSink>(STDERR_FILENO);
    auto l = std::make_shared<spdlog::logger>("carnet", sink);
    l->set_pattern("%v");
    l->set_level(spdlog::level::trace);
    l->flush_on(spdlog::level::warn);
    logger() = l;
    spdlog::register_logger(l);
    spdlog::flush_every(std::chrono::seconds(1));
  });
}

}  // namespace

bool parse_level(std::string_view text, Level* out) {
  if (text == "debug") *out = Level::kDebug;
  else if (text == "info") *out = Level::kInfo;
  else if (text == "warn" || text == "warning") *out = Level::kWarn;
  else if (text == "error") *out = Level::kError;
  else return false;
  return true;
}

void init(Level min_level) {
  g_min_level = int(min_level);
  ensure_logger();
}

void flush() {
  flush_thread();
  if (logger()) logger()->flush();
}

void flush_thread() {
  if (t_batch.lines.empty() || !logger()) return;
  logger()->log(spdlog::level::info, t_batch.lines);
  t_batch.lines.clear();
}

void enable_thread_batching() {
  ensure_logger();
  t_batch.enabled = true;
  t_batch.lines.reserve(kBatchLimit + 1024);
}

Batch::~Batch() { flush_thread(); }

bool enabled(Level level) { return int(level) >= g_min_level.load(std::memory_order_relaxed); }

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += char(c);  // UTF-8 passes through; invalid bytes are the caller's data
        }
    }
  }
  out += '"';
}

void write(Level level, std::string_view event, std::initializer_list<Field> fields) {
  if (!enabled(level)) return;
  ensure_logger();
  std::string line;
  line.reserve(256);
  line += "{\"ts\":\"";
  append_timestamp(line);
  line += "\",\"level\":\"";
  line += level_name(level);
  line += "\",\"event\":";
  append_json_string(line, event);
  if (!t_request_id.empty()) {
    line += ",\"request_id\":";
    append_json_string(line, t_request_id);
  }
  for (const Field& f : fields) {
    line += ',';
    append_json_string(line, f.key());
    line += ':';
    switch (f.kind()) {
      case Field::Kind::kString: append_json_string(line, f.str()); break;
      case Field::Kind::kInt: line += std::to_string(f.integer()); break;
      case Field::Kind::kBool: line += f.integer() ? "true" : "false"; break;
      case Field::Kind::kDouble: {
        char buf[32];
        auto res = std::to_chars(buf, buf + sizeof buf, f.real(), std::chars_format::fixed, 3);
        line.append(buf, res.ptr);
        break;
      }
    }
  }
  line += '}';
  if (t_batch.enabled && level <= Level::kInfo) {
    if (!t_batch.lines.empty()) t_batch.lines += '\n';
    t_batch.lines += line;
    if (t_batch.lines.size() >= kBatchLimit) flush_thread();
    return;
  }
  flush_thread();  // keep this thread's lines in order
  auto lvl = level == Level::kError  ? spdlog::level::err
             : level == Level::kWarn ? spdlog::level::warn
             : level == Level::kInfo ? spdlog::level::info
                                     : spdlog::level::debug;
  logger()->log(lvl, line);
}

ScopedRequestId::ScopedRequestId(std::string_view request_id) : previous_(t_request_id) {
  t_request_id = request_id;
}
ScopedRequestId::~ScopedRequestId() { t_request_id = previous_; }

std::string_view current_request_id() { return t_request_id; }

}  // namespace carnet::log
