#include "common/units.h"

#include <gtest/gtest.h>

namespace dbb {
namespace {

TEST(ParseBytes, AcceptsUnits) {
  EXPECT_EQ(ParseBytes("4096").value(), 4096u);
  EXPECT_EQ(ParseBytes("256MB").value(), 256 * kMiB);
  EXPECT_EQ(ParseBytes("1GiB").value(), kGiB);
  EXPECT_EQ(ParseBytes("64k").value(), 64 * kKiB);
  EXPECT_EQ(ParseBytes("2 GB").value(), 2 * kGiB);
}

TEST(ParseBytes, RejectsGarbageWithTheFix) {
  auto r = ParseBytes("lots");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "'lots' is not a size (use e.g. 4096, 256MB, 1GiB)");
  EXPECT_FALSE(ParseBytes("12XB").ok());
  EXPECT_FALSE(ParseBytes("99999999999999TB").ok());
}

TEST(ParseDurationMs, AcceptsPostgresUnits) {
  EXPECT_EQ(ParseDurationMs("0").value(), 0u);
  EXPECT_EQ(ParseDurationMs("250").value(), 250u);
  EXPECT_EQ(ParseDurationMs("500ms").value(), 500u);
  EXPECT_EQ(ParseDurationMs("30s").value(), 30'000u);
  EXPECT_EQ(ParseDurationMs("5min").value(), 300'000u);
  EXPECT_EQ(ParseDurationMs("1h").value(), 3'600'000u);
  auto r = ParseDurationMs("soon");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "'soon' is not a duration (use e.g. 500ms, 30s, 5min, 1h)");
  EXPECT_EQ(ParseDurationMs("3d").status().message(),
            "'3d': unknown unit (use e.g. 500ms, 30s, 5min, 1h)");
}

TEST(FormatBytes, OneDecimal) {
  EXPECT_EQ(FormatBytes(0), "0 B");
  EXPECT_EQ(FormatBytes(1023), "1023 B");
  EXPECT_EQ(FormatBytes(4096), "4.0 KiB");
  EXPECT_EQ(FormatBytes(static_cast<uint64_t>(12.4 * static_cast<double>(kGiB))), "12.4 GiB");
}

TEST(Status, FromErrnoMapsNoSpace) {
  Status st = Status::FromErrno(ENOSPC, "write /b/x at offset 4096");
  EXPECT_EQ(st.code(), StatusCode::kNoSpace);
  EXPECT_EQ(st.message(), "write /b/x at offset 4096: No space left on device");
  EXPECT_EQ(st.WithContext("backup").message(),
            "backup: write /b/x at offset 4096: No space left on device");
}

}  // namespace
}  // namespace dbb
