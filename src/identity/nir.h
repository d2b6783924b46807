// The NIR ("numéro d'inscription au répertoire", a.k.a. social security number) and the
// INS identity traits, validated the way the INS reference requires. Pure functions.
//
// NIR layout (15 characters): S YY MM DD CCC OOO KK
//   S   sex: 1/2 (NIR), 3/4 (provisional, being registered), 7/8 (temporary number / NIA)
//   YY  year of birth        MM  month: 01-12, or 20-42 / 50-99 when unknown (INSEE rules)
//   DD  department (2A/2B for Corsica; 97x/98x: three digits and a two-digit commune;
//       99: born abroad, CCC is the country)
//   CCC commune (or country) OOO order number (001-999)
//   KK  key = 97 - (NIR mod 97), with 2A counted as 19 and 2B as 18.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace carnet::identity {

enum class NirKind {
  kNir,          // sex digit 1/2: the registered number (INS-NIR)
  kProvisional,  // 3/4: being registered
  kTemporary,    // 7/8: temporary number (NIA)
};

enum class Sex { kMale, kFemale };

struct Nir {
  std::string value;  // 15 characters, upper case, no spaces
  NirKind kind;
  Sex sex;
  int birth_year_2;   // YY
  int birth_month;    // 1-12, or 0 when the NIR says unknown
  std::string department;  // "75", "2A", "971", "99"
  bool born_abroad;

  // The 13 characters without the key.
  std::string_view body() const { return std::string_view(value).substr(0, 13); }
};

// Accepts spaces between groups ("1 84 05 75 123 456 78") and lower-case 2a/2b.
// kInvalid with a message naming the first mistake: length, character, sex, month,
// department, commune, order number or key.
Result<Nir> parse_nir(std::string_view text);

// The two-digit key for a 13-character body (2A/2B allowed). REQUIRES: body is valid.
int nir_key(std::string_view body13);

}  // namespace carnet::identity
