// Status and Result (claimmap/status.h): errors as values.
#include <gtest/gtest.h>

#include <string>

#include "claimmap/status.h"

namespace claimmap {
namespace {

TEST(Result, HoldsAValue) {
  Result<int> r(7);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), 7);
  EXPECT_TRUE(r.status().ok());
}

TEST(Result, HoldsAnError) {
  Result<std::string> r(ErrorCode::kIoError, "/tmp/x: No such file");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kIoError);
  EXPECT_EQ(r.status().to_string(), "io_error: /tmp/x: No such file");
}

// Like Abseil's StatusOr: a Result made from an OK status is a caller's bug;
// it is an error (kInternal), never a Result that is neither a value nor an
// error with ok() false and an OK status.
TEST(Result, RefusesAnOkStatus) {
  Result<int> r{Status()};
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.status().ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInternal);
  EXPECT_EQ(error_code_name(r.status().code()), "internal");
  Result<int> s(ErrorCode::kOk, "");
  EXPECT_EQ(s.status().code(), ErrorCode::kInternal);
}

TEST(ResultDeathTest, ValueOfAnErrorAborts) {
  Result<int> r(ErrorCode::kInvalidArgument, "bad");
  EXPECT_DEATH((void)r.value(), "Result::value\\(\\) called on an error: invalid_argument: bad");
}

}  // namespace
}  // namespace claimmap
