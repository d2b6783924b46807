// Structured logging: one JSON object per line on standard error. Every line carries a
// timestamp, level and event name; lines written while a request is being handled carry its
// request id. Never pass secrets (tokens, passwords, keys, query strings) as fields.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace carnet::log {

enum class Level { kDebug, kInfo, kWarn, kError };

// Parses "debug", "info", "warn", "error". Returns false on anything else.
bool parse_level(std::string_view text, Level* out);

class Field {
 public:
  enum class Kind { kString, kInt, kDouble, kBool };
  Field(std::string_view key, std::string_view v) : key_(key), kind_(Kind::kString), s_(v) {}
  Field(std::string_view key, const std::string& v) : key_(key), kind_(Kind::kString), s_(v) {}
  Field(std::string_view key, const char* v) : key_(key), kind_(Kind::kString), s_(v) {}
  Field(std::string_view key, bool v) : key_(key), kind_(Kind::kBool), i_(v) {}
  Field(std::string_view key, int v) : key_(key), kind_(Kind::kInt), i_(v) {}
  Field(std::string_view key, long v) : key_(key), kind_(Kind::kInt), i_(v) {}
  Field(std::string_view key, long long v) : key_(key), kind_(Kind::kInt), i_(v) {}
  Field(std::string_view key, unsigned v) : key_(key), kind_(Kind::kInt), i_(v) {}
  Field(std::string_view key, unsigned long v) : key_(key), kind_(Kind::kInt), i_(int64_t(v)) {}
  Field(std::string_view key, unsigned long long v) : key_(key), kind_(Kind::kInt), i_(int64_t(v)) {}
  Field(std::string_view key, double v) : key_(key), kind_(Kind::kDouble), d_(v) {}

  std::string_view key() const { return key_; }
  Kind kind() const { return kind_; }
  std::string_view str() const { return s_; }
  int64_t integer() const { return i_; }
  double real() const { return d_; }

 private:
  std::string_view key_;
  Kind kind_;
  std::string_view s_;
  int64_t i_ = 0;
  double d_ = 0;
};

// Sets the minimum level and installs the sink. Lines are buffered and flushed at least every
// second and at once for warnings and errors. Safe to call again (tests).
void init(Level min_level);
// Writes buffered lines out; call before exit.
void flush();

// Per-thread batching for hot paths (the HTTP I/O threads write one access line per
// request): after enable_thread_batching(), this thread's info/debug lines collect in a
// thread-local buffer that reaches the sink when it fills up or when the thread calls
// flush_thread() (periodically, and before it exits). Warnings and errors are never held.
void enable_thread_batching();
void flush_thread();
bool enabled(Level level);

void write(Level level, std::string_view event, std::initializer_list<Field> fields = {});
inline void debug(std::string_view e, std::initializer_list<Field> f = {}) { write(Level::kDebug, e, f); }
inline void info(std::string_view e, std::initializer_list<Field> f = {}) { write(Level::kInfo, e, f); }
inline void warn(std::string_view e, std::initializer_list<Field> f = {}) { write(Level::kWarn, e, f); }
inline void error(std::string_view e, std::initializer_list<Field> f = {}) { write(Level::kError, e, f); }

// While alive, every line written by this thread carries `request_id`.
class ScopedRequestId {
 public:
  explicit ScopedRequestId(std::string_view request_id);
  ~ScopedRequestId();
  ScopedRequestId(const ScopedRequestId&) = delete;
  ScopedRequestId& operator=(const ScopedRequestId&) = delete;

 private:
  std::string_view previous_;
};

// The request id this thread's lines carry now (empty outside a request).
std::string_view current_request_id();

// Appends `text` to `out` as a JSON string literal (with quotes), escaping as RFC 8259 asks.
void append_json_string(std::string& out, std::string_view text);

}  // namespace carnet::log
