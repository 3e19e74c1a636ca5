// engine/duration.hpp: durations as users write them in scenarios.
#include <gtest/gtest.h>

#include "engine/duration.hpp"

namespace roachrun {
namespace {

using std::chrono::milliseconds;

TEST(Duration, MillisecondsSuffix) { EXPECT_EQ(parse_duration("250ms"), milliseconds(250)); }

TEST(Duration, FractionalSeconds) { EXPECT_EQ(parse_duration("1.5s"), milliseconds(1500)); }

TEST(Duration, Minutes) {
  EXPECT_EQ(parse_duration("2m"), milliseconds(120'000));
  EXPECT_EQ(parse_duration("2min"), milliseconds(120'000));
}

TEST(Duration, Hours) { EXPECT_EQ(parse_duration("1h"), milliseconds(3'600'000)); }

TEST(Duration, BareNumberIsSeconds) {
  EXPECT_EQ(parse_duration("3"), milliseconds(3000));
  EXPECT_EQ(parse_duration("0.25"), milliseconds(250));
  EXPECT_EQ(parse_duration("0"), milliseconds(0));
}

TEST(Duration, MicrosecondsRoundToNearestMillisecond) {
  EXPECT_EQ(parse_duration("1500us"), milliseconds(2));
  EXPECT_EQ(parse_duration("10us"), milliseconds(0));
}

TEST(Duration, RejectsEmpty) { EXPECT_EQ(parse_duration(""), std::nullopt); }

TEST(Duration, RejectsNegative) {
  EXPECT_EQ(parse_duration("-1s"), std::nullopt);
  EXPECT_EQ(parse_duration("-1"), std::nullopt);
}

TEST(Duration, RejectsUnknownUnit) {
  EXPECT_EQ(parse_duration("10 parsecs"), std::nullopt);
  EXPECT_EQ(parse_duration("10parsecs"), std::nullopt);
  EXPECT_EQ(parse_duration("10 s"), std::nullopt);  // no space between number and unit
  EXPECT_EQ(parse_duration("5S"), std::nullopt);    // units are lower case
}

TEST(Duration, RejectsText) {
  EXPECT_EQ(parse_duration("abc"), std::nullopt);
  EXPECT_EQ(parse_duration("ms"), std::nullopt);
  EXPECT_EQ(parse_duration("s"), std::nullopt);
}

TEST(Duration, RejectsNonFinite) {
  EXPECT_EQ(parse_duration("nan"), std::nullopt);
  EXPECT_EQ(parse_duration("inf"), std::nullopt);
  EXPECT_EQ(parse_duration("1e300h"), std::nullopt);  // does not fit in milliseconds
}

}  // namespace
}  // namespace roachrun
