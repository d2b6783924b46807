#include "identity/traits.h"

#include <gtest/gtest.h>

namespace carnet::identity {
namespace {

const BirthDate kToday{2026, 11, 22};

TEST(Names, NormalisedAsTheInsReferenceDoes) {
  EXPECT_EQ(*normalize_name("Dupont", "n"), "DUPONT");
  EXPECT_EQ(*normalize_name("  Le  Guénnec ", "n"), "LE GUENNEC");
  EXPECT_EQ(*normalize_name("Jean - Pierre", "n"), "JEAN-PIERRE");
  EXPECT_EQ(*normalize_name("d’Arc", "n"), "D'ARC");
  EXPECT_EQ(*normalize_name("D ' ARC", "n"), "D'ARC");
  EXPECT_EQ(*normalize_name("Œdipe Lætitia", "n"), "OEDIPE LAETITIA");
  EXPECT_EQ(*normalize_name("François-Noël Çà", "n"), "FRANCOIS-NOEL CA");
  EXPECT_EQ(*normalize_name("Müller--Schröder", "n"), "MULLER-SCHRODER");
  EXPECT_EQ(*normalize_name("-Éloïse-", "n"), "ELOISE");
  EXPECT_EQ(*normalize_name("Straße", "n"), "STRASSE");
}

TEST(Names, RejectsWhatIsNotAName) {
  for (const char* bad : {"", "   ", "--", "Dupont3", "Dupont!", "<script>", "Du\xffpont", "李"}) {
    auto r = normalize_name(bad, "birth name");
    ASSERT_FALSE(r.is_ok()) << bad;
    EXPECT_EQ(r.status().message().rfind("birth name", 0), 0u) << r.status().message();
  }
  EXPECT_FALSE(normalize_name(std::string(150, 'a'), "birth name").is_ok());
}

TEST(BirthDates, Calendar) {
  EXPECT_EQ(parse_birth_date("1984-05-17", kToday)->iso(), "1984-05-17");
  EXPECT_TRUE(parse_birth_date("2024-02-29", kToday).is_ok());
  EXPECT_FALSE(parse_birth_date("2023-02-29", kToday).is_ok());
  EXPECT_FALSE(parse_birth_date("1984-13-01", kToday).is_ok());
  EXPECT_FALSE(parse_birth_date("17/05/1984", kToday).is_ok());
  EXPECT_FALSE(parse_birth_date("2027-01-01", kToday).is_ok());
  EXPECT_FALSE(parse_birth_date("1984-5-17", kToday).is_ok());
}

TEST(Traits, CrossCheckedAgainstTheNir) {
  Nir nir = *parse_nir("184057512345625");
  auto t = make_traits(nir, "Dupont", "Jean-Pierre, Marie", "1984-05-17", "M", "75056", kToday);
  ASSERT_TRUE(t.is_ok()) << t.status().message();
  EXPECT_EQ(t->birth_name, "DUPONT");
  EXPECT_EQ(t->first_names_joined(), "JEAN-PIERRE MARIE");

  struct Case {
    const char *sex, *date, *place, *message;
  } cases[] = {
      {"F", "1984-05-17", "75056", "sex does not match"},
      {"M", "1985-05-17", "75056", "birth year"},
      {"M", "1984-06-17", "75056", "birth month"},
      {"M", "1984-05-17", "69123", "not in the NIR's department"},
      {"M", "1984-05-17", "99134", "birthplace is abroad"},
      {"X", "1984-05-17", "75056", "sex must be"},
      {"M", "1984-05-17", "7505", "5-character INSEE code"},
  };
  for (const auto& c : cases) {
    auto r = make_traits(nir, "Dupont", "Jean", c.date, c.sex, c.place, kToday);
    ASSERT_FALSE(r.is_ok()) << c.message;
    EXPECT_NE(r.status().message().find(c.message), std::string::npos) << r.status().message();
  }
}

TEST(Traits, CorsicaAndAbroad) {
  Nir corsica = *parse_nir("291032A00401282");
  EXPECT_TRUE(make_traits(corsica, "Colonna", "Maria", "1991-03-02", "F", "2A004", kToday).is_ok());
  Nir abroad = *parse_nir("170029913404596");
  EXPECT_TRUE(make_traits(abroad, "Garcia", "Pablo", "1970-02-10", "M", "99134", kToday).is_ok());
  auto wrong = make_traits(abroad, "Garcia", "Pablo", "1970-02-10", "M", "75056", kToday);
  ASSERT_FALSE(wrong.is_ok());
  EXPECT_NE(wrong.status().message().find("born abroad"), std::string::npos);
}

}  // namespace
}  // namespace carnet::identity
