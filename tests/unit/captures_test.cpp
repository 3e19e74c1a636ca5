// engine/captures.hpp: what a capture takes from a step's result, and the text ${name} becomes.
#include <gtest/gtest.h>

#include "engine/captures.hpp"

namespace roachrun {
namespace {

CaptureDef capture(const std::string& path) { return {"x", path, SourceLocation{"s.yaml", 4, 14}}; }

const Value kQuery = {{"columns", Value::array({"id", "balance"})},
                      {"rows", Value::array({Value::array({"1", "1000"}), Value::array({"2", nullptr})})},
                      {"row_count", 2}};

TEST(Captures, APathWalksKeysAndIndexes) {
  EXPECT_EQ(captured_part(kQuery, capture("rows.0.1"), 3), "1000");
  EXPECT_EQ(captured_part(kQuery, capture("row_count"), 3), 2);
  EXPECT_EQ(captured_part(kQuery, capture(""), 3), kQuery);
}

TEST(Captures, TheTextOfEachKindOfValue) {
  EXPECT_EQ(capture_text("as is"), "as is");
  EXPECT_EQ(capture_text(nullptr), "");
  EXPECT_EQ(capture_text(42), "42");
  EXPECT_EQ(capture_text(true), "true");
  EXPECT_EQ(capture_text(kQuery["rows"]), R"([["1","1000"],["2",null]])");
}

TEST(Captures, AMissingPartSaysWhatTheResultHas) {
  try {
    captured_part(kQuery, capture("rows.7.0"), 3);
    ADD_FAILURE() << "found rows.7.0";
  } catch (const StepError& e) {
    EXPECT_EQ(std::string(e.what()),
              "capture 'x' (s.yaml:4:14): step 3's result has no 'rows.7.0': 'rows' has a list of 2");
  }
  try {
    captured_part(kQuery, capture("value"), 3);
    ADD_FAILURE() << "found value";
  } catch (const StepError& e) {
    EXPECT_EQ(std::string(e.what()),
              "capture 'x' (s.yaml:4:14): step 3's result has no 'value': it has keys columns, rows, row_count");
  }
  try {
    captured_part(kQuery, capture("row_count.0"), 3);
    ADD_FAILURE() << "indexed into a number";
  } catch (const StepError& e) {
    EXPECT_NE(std::string(e.what()).find("'row_count' has the value 2"), std::string::npos) << e.what();
  }
}

TEST(Captures, AStepWithoutAResultHasNothingToCapture) {
  try {
    captured_part(nullptr, capture(""), 5);
    ADD_FAILURE() << "captured nothing";
  } catch (const StepError& e) {
    EXPECT_EQ(std::string(e.what()), "capture 'x' (s.yaml:4:14): step 5 gave no result to capture (its step type sets none)");
  }
}

TEST(Captures, TheTableIsSharedByBranches) {
  CaptureTable table;
  table.set("a", "1");
  table.set("b", "2");
  table.set("a", "3");
  EXPECT_EQ(table.snapshot(), (VarTable{{"a", "3"}, {"b", "2"}}));
}

}  // namespace
}  // namespace roachrun
