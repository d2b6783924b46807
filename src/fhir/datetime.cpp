#include "fhir/datetime.h"

#include <cstdio>

namespace carnet::fhir {
namespace {

// Days from 1970-01-01 to a civil date (proleptic Gregorian), after H. Hinnant.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

// Reads exactly n digits at pos.
bool digits(std::string_view v, size_t pos, size_t n, int& out) {
  if (pos + n > v.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (v[i] < '0' || v[i] > '9') return false;
    out = out * 10 + (v[i] - '0');
  }
  return true;
}

struct Parsed {
  int year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0;
  int precision = 0;     // 1 year, 2 month, 3 day, 4 minute, 5 second, 6 fraction
  int64_t offset = 0;    // seconds east of UTC
  bool has_zone = false;
};

// Parses hh:mm[:ss[.f+]] at pos; `need_seconds` for the strict forms.
bool parse_time(std::string_view v, size_t& pos, Parsed& p, bool need_seconds) {
  if (!digits(v, pos, 2, p.hour) || pos + 2 >= v.size() || v[pos + 2] != ':' || !digits(v, pos + 3, 2, p.minute)) {
    return false;
  }
  if (p.hour > 23 || p.minute > 59) return false;
  pos += 5;
  p.precision = 4;
  if (pos < v.size() && v[pos] == ':') {
    if (!digits(v, pos + 1, 2, p.second) || p.second > 59) return false;  // leap seconds: FHIR allows 60 only in time
    pos += 3;
    p.precision = 5;
    if (pos < v.size() && v[pos] == '.') {
      size_t start = ++pos;
      while (pos < v.size() && v[pos] >= '0' && v[pos] <= '9') ++pos;
      if (pos == start) return false;
      p.precision = 6;
    }
  } else if (need_seconds) {
    return false;
  }
  return true;
}

bool parse_zone(std::string_view v, size_t& pos, Parsed& p) {
  if (pos >= v.size()) return false;
  if (v[pos] == 'Z') {
    ++pos;
    p.has_zone = true;
    return true;
  }
  if (v[pos] != '+' && v[pos] != '-') return false;
  int h = 0, m = 0;
  if (!digits(v, pos + 1, 2, h) || pos + 3 >= v.size() || v[pos + 3] != ':' || !digits(v, pos + 4, 2, m)) return false;
  if (h > 14 || m > 59) return false;
  p.offset = (h * 3600 + m * 60) * (v[pos] == '-' ? -1 : 1);
  pos += 6;
  p.has_zone = true;
  return true;
}

// A date, optionally followed by 'T' time and zone. `time` 0: no time allowed; 1: optional;
// 2: required. Strict: time needs seconds and a zone.
std::optional<Parsed> parse(std::string_view v, int time, bool strict) {
  Parsed p;
  if (!digits(v, 0, 4, p.year) || p.year < 1) return std::nullopt;
  size_t pos = 4;
  p.precision = 1;
  if (pos < v.size() && v[pos] == '-') {
    if (!digits(v, pos + 1, 2, p.month) || p.month < 1 || p.month > 12) return std::nullopt;
    pos += 3;
    p.precision = 2;
    if (pos < v.size() && v[pos] == '-') {
      if (!digits(v, pos + 1, 2, p.day) || p.day < 1 || p.day > days_in_month(p.year, p.month)) return std::nullopt;
      pos += 3;
      p.precision = 3;
    }
  }
  if (pos < v.size() && v[pos] == 'T') {
    if (time == 0 || p.precision != 3) return std::nullopt;
    ++pos;
    if (!parse_time(v, pos, p, strict)) return std::nullopt;
    if (pos < v.size() || strict) {
      if (!parse_zone(v, pos, p)) return std::nullopt;
    }
  } else if (time == 2) {
    return std::nullopt;
  }
  if (pos != v.size()) return std::nullopt;
  return p;
}

}  // namespace

bool is_date(std::string_view v) { return parse(v, 0, true).has_value(); }
bool is_date_time(std::string_view v) { return parse(v, 1, true).has_value(); }
bool is_instant(std::string_view v) {
  auto p = parse(v, 2, true);
  return p && p->precision >= 5;
}
bool is_time(std::string_view v) {
  Parsed p;
  size_t pos = 0;
  return parse_time(v, pos, p, true) && pos == v.size();
}

std::optional<TimeRange> time_range(std::string_view v, bool lenient) {
  auto p = parse(v, 1, !lenient);
  if (!p) return std::nullopt;
  int64_t day = days_from_civil(p->year, static_cast<unsigned>(p->month), static_cast<unsigned>(p->day));
  int64_t low = day * 86400 + p->hour * 3600 + p->minute * 60 + p->second - p->offset;
  int64_t span = 0;
  switch (p->precision) {
    case 1: span = (days_from_civil(p->year + 1, 1, 1) - day) * 86400; break;
    case 2: span = int64_t{days_in_month(p->year, p->month)} * 86400; break;
    case 3: span = 86400; break;
    case 4: span = 60; break;
    default: span = 1; break;  // fractions index to the second
  }
  return TimeRange{low, low + span};
}

std::string instant_text(int64_t seconds) {
  int64_t days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400;
  int64_t rem = seconds - days * 86400;
  // civil_from_days, after H. Hinnant.
  int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d.000Z", static_cast<long long>(y), m, d,
                int(rem / 3600), int(rem % 3600 / 60), int(rem % 60));
  return buf;
}

}  // namespace carnet::fhir
