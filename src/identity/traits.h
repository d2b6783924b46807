// The five INS identity traits, normalised as the INS reference asks: upper case, no
// diacritics (É -> E, Œ -> OE), only letters, spaces, hyphens and apostrophes, no leading,
// trailing or doubled separators. Names are compared and stored in this form.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "identity/nir.h"

namespace carnet::identity {

struct BirthDate {
  int year, month, day;
  std::string iso() const;  // "1984-05-17"
};

struct Traits {
  std::string birth_name;                // "DE LA FONTAINE"
  std::vector<std::string> first_names;  // {"JEAN-PIERRE", "MARIE"}
  BirthDate birth_date;
  Sex sex;
  std::string birthplace;                // INSEE code: "75056", "2A004", "99134" (abroad)

  std::string first_names_joined() const;  // "JEAN-PIERRE MARIE"
};

// Normalises one name (birth name or a first name). `what` names the field in messages.
// kInvalid on an empty name, a character outside letters/space/hyphen/apostrophe, or a
// name made only of separators.
Result<std::string> normalize_name(std::string_view utf8, std::string_view what);

// "YYYY-MM-DD", a real calendar date, not in the future relative to `today` (same format).
Result<BirthDate> parse_birth_date(std::string_view text, const BirthDate& today);

// "M"/"F" (also "1"/"2", "male"/"female", case-insensitive).
Result<Sex> parse_sex(std::string_view text);

// Five characters: 2 department (or 2A/2B) + 3 commune digits, or 99 + 3-digit country.
Result<std::string> parse_birthplace(std::string_view text);

// Builds and cross-checks the traits against the NIR: sex digit, year (and month when the
// NIR states one), department of birth (or abroad). Each mismatch has its own message.
Result<Traits> make_traits(const Nir& nir, std::string_view birth_name, std::string_view first_names,
                           std::string_view birth_date, std::string_view sex, std::string_view birthplace,
                           const BirthDate& today);

}  // namespace carnet::identity
