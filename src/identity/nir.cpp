#include "identity/nir.h"

#include <cctype>

namespace carnet::identity {
namespace {

bool all_digits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return !s.empty();
}

int to_int(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

}  // namespace

int nir_key(std::string_view body) {
  // 13 digits fit in 64 bits; Corsica's letters are replaced before reducing.
  uint64_t n = 0;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (i == 6 && (c == 'A' || c == 'B')) {
      // "2A" -> 19, "2B" -> 18: replace both characters of the department.
      n = (n / 10) * 100 + (c == 'A' ? 19 : 18);
      continue;
    }
    n = n * 10 + uint64_t(c - '0');
  }
  return int(97 - n % 97);
}

Result<Nir> parse_nir(std::string_view text) {
  std::string v;
  v.reserve(15);
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '.') continue;
    v += char(std::toupper(static_cast<unsigned char>(c)));
  }
  if (v.size() != 15) {
    return Status::invalid("a NIR has 15 characters (13 and a 2-digit key); got " + std::to_string(v.size()));
  }
  for (size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    bool corsica = i == 6 && v[5] == '2' && (c == 'A' || c == 'B');
    if (!(c >= '0' && c <= '9') && !corsica) {
      return Status::invalid("NIR character " + std::to_string(i + 1) + " ('" + std::string(1, c) +
                             "') must be a digit (only 2A/2B are allowed, as a department)");
    }
  }
  Nir nir;
  nir.value = v;
  switch (v[0]) {
    case '1': nir.kind = NirKind::kNir; nir.sex = Sex::kMale; break;
    case '2': nir.kind = NirKind::kNir; nir.sex = Sex::kFemale; break;
    case '3': nir.kind = NirKind::kProvisional; nir.sex = Sex::kMale; break;
    case '4': nir.kind = NirKind::kProvisional; nir.sex = Sex::kFemale; break;
    case '7': nir.kind = NirKind::kTemporary; nir.sex = Sex::kMale; break;
    case '8': nir.kind = NirKind::kTemporary; nir.sex = Sex::kFemale; break;
    default:
      return Status::invalid("NIR sex digit must be 1 or 2 (3/4 provisional, 7/8 temporary); got " +
                             std::string(1, v[0]));
  }
  nir.birth_year_2 = to_int(v.substr(1, 2));
  int month = to_int(v.substr(3, 2));
  if (month >= 1 && month <= 12) {
    nir.birth_month = month;
  } else if ((month >= 20 && month <= 42) || (month >= 50 && month <= 99)) {
    nir.birth_month = 0;  // INSEE codes for an unknown or incomplete birth date
  } else {
    return Status::invalid("NIR birth month '" + v.substr(3, 2) + "' is not a month (01-12) nor an INSEE special value (20-42, 50-99)");
  }

  std::string dept = v.substr(5, 2);
  std::string_view commune;
  nir.born_abroad = false;
  if (dept == "2A" || dept == "2B") {
    commune = std::string_view(v).substr(7, 3);
  } else if (dept == "97" || dept == "98") {
    // Overseas: three-digit department, two-digit commune.
    dept = v.substr(5, 3);
    int d = to_int(dept);
    bool ok = (dept[1] == '7' && d >= 971 && d <= 978) || (dept[1] == '8' && d >= 984 && d <= 989) || d == 980;
    if (!ok) return Status::invalid("NIR overseas department '" + dept + "' does not exist");
    commune = std::string_view(v).substr(8, 2);
  } else {
    int d = to_int(dept);
    if (d == 0 || d > 99) return Status::invalid("NIR department '" + dept + "' does not exist");
    if (d == 99) nir.born_abroad = true;
    commune = std::string_view(v).substr(7, 3);
  }
  nir.department = dept;
  if (!all_digits(commune) || to_int(commune) == 0) {
    return Status::invalid(std::string(nir.born_abroad ? "NIR country code '" : "NIR commune code '") +
                           std::string(commune) + "' is invalid (000)");
  }
  if (to_int(v.substr(10, 3)) == 0) {
    return Status::invalid("NIR order number must be between 001 and 999; got 000");
  }
  int key = to_int(v.substr(13, 2));
  int expected = nir_key(v.substr(0, 13));
  if (key != expected) {
    return Status::invalid("NIR key " + v.substr(13, 2) + " does not match the number (a digit is probably mistyped)");
  }
  return nir;
}

}  // namespace carnet::identity
