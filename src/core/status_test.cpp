#include "core/status.h"

#include <gtest/gtest.h>

namespace carnet {
namespace {

Result<int> parse_positive(int v) {
  if (v <= 0) return Status::invalid("must be positive");
  return v;
}

Status chain(int v) {
  CARNET_RETURN_IF_ERROR(parse_positive(v).status());
  return Status::ok();
}

TEST(Status, OkByDefault) {
  Status s;
  EXPECT_TRUE(s.is_ok());
  EXPECT_EQ(s.to_string(), "ok");
}

TEST(Status, CarriesCodeAndMessage) {
  Status s = Status::not_found("no such space");
  EXPECT_FALSE(s.is_ok());
  EXPECT_EQ(s.code(), ErrorCode::kNotFound);
  EXPECT_EQ(s.to_string(), "not_found: no such space");
  EXPECT_EQ(s.with_context("reading").message(), "reading: no such space");
  EXPECT_TRUE(Status::ok().with_context("x").is_ok());
}

TEST(Result, HoldsValueOrError) {
  auto good = parse_positive(3);
  ASSERT_TRUE(good.is_ok());
  EXPECT_EQ(*good, 3);
  auto bad = parse_positive(-1);
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::kInvalid);
}

TEST(Status, ReturnIfErrorPropagates) {
  EXPECT_TRUE(chain(1).is_ok());
  EXPECT_EQ(chain(0).code(), ErrorCode::kInvalid);
}

}  // namespace
}  // namespace carnet
