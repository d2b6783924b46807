#include "fhir/datetime.h"

#include <gtest/gtest.h>

namespace carnet::fhir {
namespace {

TEST(FhirDates, StrictFormats) {
  for (const char* ok : {"2024", "2024-02", "2024-02-29", "2000-02-29"}) EXPECT_TRUE(is_date(ok)) << ok;
  for (const char* bad : {"24", "2024-2", "2024-13", "2023-02-29", "1900-02-29", "2024-02-30", "2024-01-01T10:00:00Z", "0000",
                          "2024-01-01 ", ""}) {
    EXPECT_FALSE(is_date(bad)) << bad;
  }
  for (const char* ok : {"2024", "2024-03-05T10:00:00+01:00", "2024-03-05T10:00:00.123Z", "2024-03-05T23:59:59-14:00"}) {
    EXPECT_TRUE(is_date_time(ok)) << ok;
  }
  for (const char* bad : {"2024-03-05T10:00", "2024-03-05T10:00:00", "2024-03-05T24:00:00Z", "2024-03T10:00:00Z",
                          "2024-03-05T10:00:00+1:00", "2024-03-05T10:00:00.Z"}) {
    EXPECT_FALSE(is_date_time(bad)) << bad;
  }
  EXPECT_TRUE(is_instant("2024-03-05T10:00:00Z"));
  EXPECT_FALSE(is_instant("2024-03-05"));
  EXPECT_TRUE(is_time("10:00:00"));
  EXPECT_FALSE(is_time("10:00"));
}

TEST(FhirDates, RangesCoverThePrecision) {
  auto year = time_range("2024");
  ASSERT_TRUE(year);
  EXPECT_EQ(year->low, 1704067200);             // 2024-01-01T00:00:00Z
  EXPECT_EQ(year->high - year->low, 366 * 86400);  // leap year
  auto month = time_range("2023-02");
  EXPECT_EQ(month->high - month->low, 28 * 86400);
  auto zoned = time_range("2024-03-05T10:00:00+01:00");
  EXPECT_EQ(zoned->low, time_range("2024-03-05T09:00:00Z")->low);
  EXPECT_EQ(zoned->high - zoned->low, 1);
  EXPECT_FALSE(time_range("2024-03-05T10:00"));
  auto minute = time_range("2024-03-05T10:00", /*lenient=*/true);
  ASSERT_TRUE(minute);
  EXPECT_EQ(minute->high - minute->low, 60);
  EXPECT_EQ(instant_text(1704067200), "2024-01-01T00:00:00.000Z");
  EXPECT_EQ(instant_text(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(instant_text(-86400), "1969-12-31T00:00:00.000Z");
}

}  // namespace
}  // namespace carnet::fhir
