#include "identity/traits.h"

#include <cstdio>

namespace carnet::identity {
namespace {

// Decodes one UTF-8 code point at s[i], advancing i; U+FFFD on malformed input.
char32_t next_code_point(std::string_view s, size_t& i) {
  auto b = static_cast<unsigned char>(s[i++]);
  if (b < 0x80) return b;
  int extra = b >= 0xf0 ? 3 : b >= 0xe0 ? 2 : b >= 0xc0 ? 1 : -1;
  if (extra < 0 || i + size_t(extra) > s.size()) return 0xfffd;
  char32_t cp = b & (0x3f >> extra);
  for (int k = 0; k < extra; ++k) {
    auto c = static_cast<unsigned char>(s[i++]);
    if ((c & 0xc0) != 0x80) return 0xfffd;
    cp = (cp << 6) | (c & 0x3f);
  }
  return cp;
}

// Latin letters with diacritics used in French civil status (and neighbours), to their
// base letters; ligatures expand. Returns nullptr when the code point is not a letter we
// know.
const char* fold_letter(char32_t cp) {
  if (cp >= 'a' && cp <= 'z') cp -= 32;
  if (cp >= 'A' && cp <= 'Z') {
    static char letters[26][2];
    static bool init = [] {
      for (int k = 0; k < 26; ++k) letters[k][0] = char('A' + k);
      return true;
    }();
    (void)init;
    return letters[cp - 'A'];
  }
  switch (cp) {
    case U'À': case U'Á': case U'Â': case U'Ã': case U'Ä': case U'Å':
    case U'à': case U'á': case U'â': case U'ã': case U'ä': case U'å': case U'Ā': case U'ā': return "A";
    case U'Æ': case U'æ': return "AE";
    case U'Ç': case U'ç': case U'Ć': case U'ć': case U'Č': case U'č': return "C";
    case U'È': case U'É': case U'Ê': case U'Ë': case U'è': case U'é': case U'ê': case U'ë':
    case U'Ē': case U'ē': case U'Ė': case U'ė': case U'Ę': case U'ę': case U'Ě': case U'ě': return "E";
    case U'Ì': case U'Í': case U'Î': case U'Ï': case U'ì': case U'í': case U'î': case U'ï': case U'Ī': case U'ī': return "I";
    case U'Ñ': case U'ñ': case U'Ń': case U'ń': case U'Ň': case U'ň': return "N";
    case U'Ò': case U'Ó': case U'Ô': case U'Õ': case U'Ö': case U'Ø':
    case U'ò': case U'ó': case U'ô': case U'õ': case U'ö': case U'ø': case U'Ō': case U'ō': return "O";
    case U'Œ': case U'œ': return "OE";
    case U'Ù': case U'Ú': case U'Û': case U'Ü': case U'ù': case U'ú': case U'û': case U'ü': case U'Ū': case U'ū': case U'Ů': case U'ů': return "U";
    case U'Ý': case U'ý': case U'ÿ': case U'Ÿ': return "Y";
    case U'ß': return "SS";
    case U'Š': case U'š': case U'Ś': case U'ś': return "S";
    case U'Ž': case U'ž': case U'Ź': case U'ź': case U'Ż': case U'ż': return "Z";
    case U'Ł': case U'ł': return "L";
    case U'Ř': case U'ř': return "R";
    case U'Ť': case U'ť': return "T";
    case U'Ď': case U'ď': return "D";
    default: return nullptr;
  }
}

bool is_apostrophe(char32_t cp) { return cp == '\'' || cp == U'’' || cp == U'‘' || cp == U'`' || cp == U'´'; }
bool is_hyphen(char32_t cp) { return cp == '-' || cp == U'‐' || cp == U'‑' || cp == U'–'; }
bool is_space(char32_t cp) { return cp == ' ' || cp == '\t' || cp == 0xa0; }

std::string encode_utf8(char32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xc0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += char(0xe0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3f));
    out += char(0x80 | (cp & 0x3f));
  } else {
    out += char(0xf0 | (cp >> 18));
    out += char(0x80 | ((cp >> 12) & 0x3f));
    out += char(0x80 | ((cp >> 6) & 0x3f));
    out += char(0x80 | (cp & 0x3f));
  }
  return out;
}

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
int days_in_month(int y, int m) {
  static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : d[m - 1];
}

bool before(const BirthDate& a, const BirthDate& b) {
  if (a.year != b.year) return a.year < b.year;
  if (a.month != b.month) return a.month < b.month;
  return a.day < b.day;
}

}  // namespace

std::string BirthDate::iso() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year % 10000, month % 100, day % 100);
  return buf;
}

std::string Traits::first_names_joined() const {
  std::string out;
  for (const auto& n : first_names) {
    if (!out.empty()) out += ' ';
    out += n;
  }
  return out;
}

Result<std::string> normalize_name(std::string_view utf8, std::string_view what) {
  // Tokens: letters, and at most one separator between letters. Spaces around a hyphen or
  // an apostrophe disappear ("JEAN - PIERRE" -> "JEAN-PIERRE", "D ' ARC" -> "D'ARC").
  std::string out;
  char pending = 0;  // separator waiting for the next letter: ' ', '-' or '\''
  size_t i = 0;
  while (i < utf8.size()) {
    char32_t cp = next_code_point(utf8, i);
    char sep = is_space(cp) ? ' ' : is_hyphen(cp) ? '-' : is_apostrophe(cp) ? '\'' : 0;
    if (sep) {
      if (out.empty()) continue;  // leading separators dropped
      // A hyphen or apostrophe beats a space; two hyphens stay one.
      if (pending == 0 || pending == ' ') pending = sep;
      continue;
    }
    const char* letter = fold_letter(cp);
    if (!letter) {
      std::string shown = cp == 0xfffd ? std::string("invalid UTF-8") : "'" + encode_utf8(cp) + "'";
      return Status::invalid(std::string(what) + " contains " + shown +
                             ": only letters, spaces, hyphens and apostrophes are allowed");
    }
    if (pending) out += pending;
    pending = 0;
    out += letter;
  }
  if (out.empty()) return Status::invalid(std::string(what) + " is empty");
  if (out.size() > 100) return Status::invalid(std::string(what) + " is longer than 100 characters");
  return out;
}

Result<BirthDate> parse_birth_date(std::string_view t, const BirthDate& today) {
  auto digits = [&](size_t from, size_t n) {
    for (size_t k = from; k < from + n; ++k) {
      if (t[k] < '0' || t[k] > '9') return false;
    }
    return true;
  };
  if (t.size() != 10 || t[4] != '-' || t[7] != '-' || !digits(0, 4) || !digits(5, 2) || !digits(8, 2)) {
    return Status::invalid("birth date must be written YYYY-MM-DD; got '" + std::string(t.substr(0, 20)) + "'");
  }
  BirthDate d{std::stoi(std::string(t.substr(0, 4))), std::stoi(std::string(t.substr(5, 2))),
              std::stoi(std::string(t.substr(8, 2)))};
  if (d.month < 1 || d.month > 12 || d.day < 1 || d.day > days_in_month(d.year, d.month)) {
    return Status::invalid("birth date " + std::string(t) + " does not exist");
  }
  if (d.year < 1880) return Status::invalid("birth date " + std::string(t) + " is before 1880");
  if (before(today, d)) return Status::invalid("birth date " + std::string(t) + " is in the future");
  return d;
}

Result<Sex> parse_sex(std::string_view t) {
  std::string s;
  for (char c : t) s += char(std::toupper(static_cast<unsigned char>(c)));
  if (s == "M" || s == "1" || s == "MALE" || s == "H") return Sex::kMale;
  if (s == "F" || s == "2" || s == "FEMALE") return Sex::kFemale;
  return Status::invalid("sex must be M or F; got '" + std::string(t.substr(0, 10)) + "'");
}

Result<std::string> parse_birthplace(std::string_view t) {
  std::string s;
  for (char c : t) s += char(std::toupper(static_cast<unsigned char>(c)));
  bool ok = s.size() == 5;
  for (size_t k = 0; ok && k < 5; ++k) {
    bool corsica = k == 1 && s[0] == '2' && (s[1] == 'A' || s[1] == 'B');
    ok = (s[k] >= '0' && s[k] <= '9') || corsica;
  }
  if (!ok) {
    return Status::invalid("birthplace must be a 5-character INSEE code (commune, or 99 + country); got '" +
                           std::string(t.substr(0, 12)) + "'");
  }
  if (s.substr(0, 2) == "00" || s.substr(2) == "000") {
    return Status::invalid("birthplace code " + s + " does not exist");
  }
  return s;
}

Result<Traits> make_traits(const Nir& nir, std::string_view birth_name, std::string_view first_names,
                           std::string_view birth_date, std::string_view sex, std::string_view birthplace,
                           const BirthDate& today) {
  Traits t;
  auto name = normalize_name(birth_name, "birth name");
  if (!name.is_ok()) return name.status();
  t.birth_name = *name;

  // First names are separated by spaces or commas; each keeps its inner hyphens.
  std::string current;
  auto flush = [&]() -> Status {
    if (current.find_first_not_of(" ") == std::string::npos) {
      current.clear();
      return Status::ok();
    }
    auto n = normalize_name(current, "first name");
    current.clear();
    if (!n.is_ok()) return n.status();
    t.first_names.push_back(*n);
    return Status::ok();
  };
  for (char c : first_names) {
    if (c == ',' || c == ' ') {
      CARNET_RETURN_IF_ERROR(flush());
    } else {
      current += c;
    }
  }
  CARNET_RETURN_IF_ERROR(flush());
  if (t.first_names.empty()) return Status::invalid("first names are empty");

  auto date = parse_birth_date(birth_date, today);
  if (!date.is_ok()) return date.status();
  t.birth_date = *date;
  auto sx = parse_sex(sex);
  if (!sx.is_ok()) return sx.status();
  t.sex = *sx;
  auto place = parse_birthplace(birthplace);
  if (!place.is_ok()) return place.status();
  t.birthplace = *place;

  if (t.sex != nir.sex) return Status::invalid("sex does not match the NIR's first digit");
  if (t.birth_date.year % 100 != nir.birth_year_2) {
    return Status::invalid("birth year " + std::to_string(t.birth_date.year) + " does not match the NIR (" +
                           nir.value.substr(1, 2) + ")");
  }
  if (nir.birth_month != 0 && nir.birth_month != t.birth_date.month) {
    return Status::invalid("birth month does not match the NIR (" + nir.value.substr(3, 2) + ")");
  }
  bool place_abroad = t.birthplace.rfind("99", 0) == 0;
  if (nir.born_abroad != place_abroad) {
    return Status::invalid(nir.born_abroad ? "the NIR says born abroad but the birthplace is a French commune"
                                           : "the birthplace is abroad but the NIR says born in France");
  }
  if (!place_abroad) {
    std::string place_dept = t.birthplace.substr(0, nir.department.size());
    // Before 1976 Corsica was department 20; NIRs of that time say 20, INSEE codes 2A/2B.
    bool corsica_then = nir.department == "20" && (place_dept == "2A" || place_dept == "2B");
    if (place_dept != nir.department && !corsica_then) {
      return Status::invalid("birthplace " + t.birthplace + " is not in the NIR's department (" + nir.department + ")");
    }
  }
  return t;
}

}  // namespace carnet::identity
