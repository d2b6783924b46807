#include "core/csv.h"

#include <gtest/gtest.h>

namespace carnet {
namespace {

std::vector<std::vector<std::string>> parse(std::string_view text, size_t slice, char delim = ',') {
  std::vector<std::vector<std::string>> rows;
  CsvReader reader(delim, [&](size_t, std::vector<std::string>& f) {
    rows.push_back(f);
    return Status::ok();
  });
  for (size_t i = 0; i < text.size(); i += slice) EXPECT_TRUE(reader.feed(text.substr(i, slice)).is_ok());
  EXPECT_TRUE(reader.finish().is_ok());
  return rows;
}

TEST(Csv, QuotesSeparatorsAndNewlinesInAnySlicing) {
  std::string text = "nir,name,address\r\n1,\"Dupont, Jean\",\"1 rue X\n75001 Paris\"\n2,\"say \"\"hi\"\"\",\n\n3,é,z";
  for (size_t slice : {1u, 3u, 1000u}) {
    auto rows = parse(text, slice);
    ASSERT_EQ(rows.size(), 4u) << slice;
    EXPECT_EQ(rows[1][1], "Dupont, Jean");
    EXPECT_EQ(rows[1][2], "1 rue X\n75001 Paris");
    EXPECT_EQ(rows[2][1], "say \"hi\"");
    EXPECT_EQ(rows[2][2], "");
    EXPECT_EQ(rows[3][1], "é");
  }
}

TEST(Csv, PipeSeparatedAndErrors) {
  auto rows = parse("a|b|c\n1|2|3\n", 5, '|');
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1][2], "3");
  CsvReader bad(',', [](size_t, std::vector<std::string>&) { return Status::ok(); });
  EXPECT_TRUE(bad.feed("a,\"unclosed\n").is_ok());
  EXPECT_FALSE(bad.finish().is_ok());
  CsvReader stop(',', [](size_t n, std::vector<std::string>&) {
    return n == 2 ? Status::invalid("stop at 2") : Status::ok();
  });
  EXPECT_EQ(stop.feed("a\nb\nc\n").message(), "stop at 2");
}

}  // namespace
}  // namespace carnet
