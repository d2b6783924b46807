#include "core/log.h"

#include <gtest/gtest.h>

namespace carnet::log {
namespace {

TEST(Log, JsonStringEscaping) {
  std::string out;
  append_json_string(out, "a\"b\\c\n\x01");
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\u0001\"");
}

TEST(Log, LevelParsingAndFiltering) {
  Level l;
  EXPECT_TRUE(parse_level("warn", &l));
  EXPECT_EQ(l, Level::kWarn);
  EXPECT_FALSE(parse_level("verbose", &l));
  init(Level::kWarn);
  EXPECT_FALSE(enabled(Level::kInfo));
  EXPECT_TRUE(enabled(Level::kError));
  init(Level::kInfo);
}

}  // namespace
}  // namespace carnet::log
