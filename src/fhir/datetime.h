// FHIR date, dateTime, instant and time values: strict format checks for validation, and
// the range of time a value denotes, for indexing and search (a partial date "2024-03"
// covers the whole month).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace carnet::fhir {

// Formats as the FHIR R4 regular expressions define them (with real calendar checks).
bool is_date(std::string_view v);       // YYYY, YYYY-MM, YYYY-MM-DD
bool is_date_time(std::string_view v);  // a date, or a date with hh:mm:ss[.f+] and a zone
bool is_instant(std::string_view v);    // full date, time to the second, and a zone
bool is_time(std::string_view v);       // hh:mm:ss[.f+]

// Seconds since the Unix epoch, UTC: [low, high). Values without a zone count as UTC.
struct TimeRange {
  int64_t low = 0;
  int64_t high = 0;
};

// The smallest and largest bounds used for open ranges (years 0001 and 9999).
inline constexpr int64_t kMinTime = -62135596800;
inline constexpr int64_t kMaxTime = 253402300800;

// A date or dateTime as stored in a resource (strict), or, with `lenient`, as written in a
// search parameter (time without seconds, or without a zone, allowed). nullopt if invalid.
std::optional<TimeRange> time_range(std::string_view v, bool lenient = false);

// The FHIR instant for seconds since the epoch, in the format of format_instant (".000Z").
std::string instant_text(int64_t seconds);

}  // namespace carnet::fhir
