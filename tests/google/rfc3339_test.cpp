#include "planfix_flow/google/rfc3339.h"

#include <gtest/gtest.h>

namespace planfix_flow::google {
namespace {

using namespace std::chrono;

core::TimePoint Utc(int y, unsigned m, unsigned d, int hh, int mm, int ss) {
  return time_point_cast<core::Duration>(sys_days(year(y) / month(m) / day(d)) + hours(hh) +
                                         minutes(mm) + seconds(ss));
}

TEST(Rfc3339, ParsesZuluTimesWithFractionalSeconds) {
  EXPECT_EQ(ParseRfc3339("2026-11-27T10:00:00Z"), Utc(2026, 11, 27, 10, 0, 0));
  EXPECT_EQ(ParseRfc3339("2026-11-27T10:00:00.123456Z"),
            Utc(2026, 11, 27, 10, 0, 0) + microseconds(123456));
  EXPECT_EQ(ParseRfc3339("2014-10-02T15:01:23.045123456Z"),
            Utc(2014, 10, 2, 15, 1, 23) + nanoseconds(45123456));
  EXPECT_EQ(ParseRfc3339("2026-11-27T10:00:00.5Z"),
            Utc(2026, 11, 27, 10, 0, 0) + milliseconds(500));
}

TEST(Rfc3339, AppliesNumericOffsets) {
  EXPECT_EQ(ParseRfc3339("2026-11-27T12:30:00+02:30"), Utc(2026, 11, 27, 10, 0, 0));
  EXPECT_EQ(ParseRfc3339("2026-11-27T05:00:00-05:00"), Utc(2026, 11, 27, 10, 0, 0));
  EXPECT_EQ(ParseRfc3339("2026-01-01t00:30:00+01:00"), Utc(2025, 12, 31, 23, 30, 0));
}

// Found by fuzz_rfc3339: years 0000-9999 are valid RFC 3339, but converting 0001-01-01 to
// nanoseconds since 1970 overflowed (undefined behaviour).
TEST(Rfc3339, RejectsMomentsOutsideWhatATimePointHolds) {
  for (const char* text :
       {"0001-01-01T00:00:00-23:59", "0000-01-01T00:00:00Z", "1677-09-21T00:12:43Z",
        "2262-04-12T00:00:00Z", "9999-12-31T23:59:59.999999999Z"}) {
    EXPECT_FALSE(ParseRfc3339(text)) << text;
  }
  EXPECT_EQ(ParseRfc3339("1677-09-22T00:00:00Z"), Utc(1677, 9, 22, 0, 0, 0));
  EXPECT_EQ(ParseRfc3339("2262-04-11T00:00:00+01:00"), Utc(2262, 4, 10, 23, 0, 0));
}

TEST(Rfc3339, RejectsMalformedOrImpossibleTimes) {
  for (const char* text :
       {"", "2026-11-27", "2026-11-27T10:00:00", "2026-11-27 10:00:00Z", "2026-02-30T00:00:00Z",
        "2026-11-27T24:00:00Z", "2026-11-27T10:60:00Z", "2026-11-27T10:00:60Z",
        "2026-11-27T10:00:00.Z", "2026-11-27T10:00:00.1234567890Z", "2026-11-27T10:00:00Zjunk",
        "2026-11-27T10:00:00+0200", "2026-11-27T10:00:00+24:00", "20261127T100000Z",
        "2026-11-27T10:00:0aZ"}) {
    EXPECT_FALSE(ParseRfc3339(text)) << text;
  }
}

TEST(Rfc3339, FormatsUtcWithTheShortestExactFraction) {
  EXPECT_EQ(FormatRfc3339(Utc(2026, 11, 27, 10, 0, 0)), "2026-11-27T10:00:00Z");
  EXPECT_EQ(FormatRfc3339(Utc(2026, 11, 27, 10, 0, 0) + milliseconds(120)),
            "2026-11-27T10:00:00.120Z");
  EXPECT_EQ(FormatRfc3339(Utc(2026, 11, 27, 10, 0, 0) + microseconds(123456)),
            "2026-11-27T10:00:00.123456Z");
  EXPECT_EQ(FormatRfc3339(Utc(1999, 1, 2, 3, 4, 5) + nanoseconds(7)),
            "1999-01-02T03:04:05.000000007Z");
}

TEST(Rfc3339, RoundTrips) {
  const auto moment = Utc(2026, 11, 27, 23, 59, 59) + nanoseconds(999999999);
  EXPECT_EQ(ParseRfc3339(FormatRfc3339(moment)), moment);
}

}  // namespace
}  // namespace planfix_flow::google
