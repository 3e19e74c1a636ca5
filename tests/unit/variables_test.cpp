// engine/variables.hpp: ${...} substitution, with a fake environment.
#include <stdlib.h>

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "engine/variables.hpp"

namespace roachrun {
namespace {

// An environment that only has what the test gives it, and remembers what was asked.
struct FakeEnv {
  std::map<std::string, std::string> values;
  std::vector<std::string> asked;
  EnvLookup lookup() {
    return [this](const std::string& name) -> std::optional<std::string> {
      asked.push_back(name);
      auto it = values.find(name);
      if (it == values.end()) return std::nullopt;
      return it->second;
    };
  }
};

const SourceLocation kAt{"vars.yaml", 4, 10};

// The ValidationError substitute() throws for `text`; fails the test if it does not throw.
ValidationError substitute_error(std::string_view text, const VarTable& vars, const SourceLocation& where,
                                 const EnvLookup& env) {
  try {
    std::string out = substitute(text, vars, where, env);
    ADD_FAILURE() << "substitute('" << text << "') did not throw; it returned '" << out << "'";
  } catch (const ValidationError& e) {
    return e;
  }
  return ValidationError(SourceLocation{}, "<no error>");
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

class Variables : public ::testing::Test {
 protected:
  FakeEnv env;
  VarTable vars{{"host", "db.example"}, {"port", "26257"}, {"name", "maxroach"}};
};

TEST_F(Variables, TextWithoutReferencesIsUnchanged) {
  EXPECT_EQ(substitute("SELECT 1", vars, kAt, env.lookup()), "SELECT 1");
  EXPECT_EQ(substitute("", vars, kAt, env.lookup()), "");
  EXPECT_TRUE(env.asked.empty());
}

TEST_F(Variables, ReplacesEveryReference) {
  EXPECT_EQ(substitute("postgresql://${name}@${host}:${port}/bank", vars, kAt, env.lookup()),
            "postgresql://maxroach@db.example:26257/bank");
  EXPECT_EQ(substitute("${host}${port}", vars, kAt, env.lookup()), "db.example26257");
  EXPECT_EQ(substitute("${name}", vars, kAt, env.lookup()), "maxroach");
}

TEST_F(Variables, ValuesAreNotSubstitutedAgain) {
  vars["template"] = "${host}";
  EXPECT_EQ(substitute("x=${template}", vars, kAt, env.lookup()), "x=${host}");
}

TEST_F(Variables, UndefinedVariableIsLocatedAtTheReference) {
  ValidationError e = substitute_error("at ${hots}", vars, kAt, env.lookup());
  EXPECT_EQ(e.where().file, "vars.yaml");
  EXPECT_EQ(e.where().line, 4);
  EXPECT_EQ(e.where().column, 13);  // 10 + offset 3 of the '$'
  EXPECT_EQ(e.message(),
            "undefined variable 'hots' (did you mean 'host'?); defined: host, name, port. Define it under vars: or "
            "pass --set hots=VALUE");
  EXPECT_EQ(std::string(e.what()), "vars.yaml:4:13: " + e.message());
}

TEST_F(Variables, UndefinedVariableWithNothingCloseHasNoSuggestion) {
  ValidationError e = substitute_error("${completely_different}", vars, kAt, env.lookup());
  EXPECT_FALSE(contains(e.message(), "did you mean")) << e.message();
  EXPECT_TRUE(contains(e.message(), "undefined variable 'completely_different'")) << e.message();
}

TEST_F(Variables, UndefinedVariableWhenNoneAreDefined) {
  ValidationError e = substitute_error("${x}", {}, kAt, env.lookup());
  EXPECT_EQ(e.message(),
            "undefined variable 'x'; no variables are defined. Define it under vars: or pass --set x=VALUE");
  EXPECT_EQ(e.where().column, 10);
}

TEST_F(Variables, UnknownColumnStaysUnknown) {
  ValidationError e = substitute_error("abc ${nope}", vars, SourceLocation{"f.yaml", 2, 0}, env.lookup());
  EXPECT_EQ(e.where().line, 2);
  EXPECT_EQ(e.where().column, 0);
  EXPECT_STREQ(e.what(), ("f.yaml:2: " + e.message()).c_str());
}

TEST_F(Variables, MultiLineTextKeepsTheScalarsLocation) {
  // The header's contract: the location is advanced to the reference only when the scalar is on
  // one line. Here the reference is on the text's second line, so no column on the scalar's first
  // line is right; the scalar's own location is reported.
  ValidationError e = substitute_error("SELECT 1;\nSELECT ${nope};", vars, kAt, env.lookup());
  EXPECT_EQ(e.where().line, 4);
  EXPECT_EQ(e.where().column, 10);
  EXPECT_TRUE(contains(e.message(), "undefined variable 'nope'")) << e.message();
}

TEST_F(Variables, EnvironmentVariable) {
  env.values["APP_PASSWORD"] = "s3cret";
  EXPECT_EQ(substitute("pw=${env:APP_PASSWORD}", vars, kAt, env.lookup()), "pw=s3cret");
  EXPECT_EQ(env.asked, std::vector<std::string>{"APP_PASSWORD"});
}

TEST_F(Variables, UnsetEnvironmentVariableIsAnError) {
  ValidationError e = substitute_error("pw=${env:APP_PASSWORD}", vars, kAt, env.lookup());
  EXPECT_EQ(e.where().column, 13);
  EXPECT_EQ(e.message(),
            "environment variable 'APP_PASSWORD' is not set (referenced as '${env:APP_PASSWORD}'); set it, or give "
            "a default: ${env:APP_PASSWORD:-value}");
}

TEST_F(Variables, EnvironmentVariableSetButEmptyIsUsedWithoutDefault) {
  env.values["EMPTY"] = "";
  EXPECT_EQ(substitute("[${env:EMPTY}]", vars, kAt, env.lookup()), "[]");
}

TEST_F(Variables, EnvironmentDefaultWhenUnset) {
  EXPECT_EQ(substitute("${env:PGHOST:-localhost}:${env:PGPORT:-26257}", vars, kAt, env.lookup()),
            "localhost:26257");
  // The lookup is by the name alone, without the default part.
  EXPECT_EQ(env.asked, (std::vector<std::string>{"PGHOST", "PGPORT"}));
}

TEST_F(Variables, EnvironmentDefaultWhenEmpty) {
  env.values["PGHOST"] = "";
  EXPECT_EQ(substitute("${env:PGHOST:-localhost}", vars, kAt, env.lookup()), "localhost");
}

TEST_F(Variables, EnvironmentValueWinsOverDefault) {
  env.values["PGHOST"] = "db1";
  EXPECT_EQ(substitute("${env:PGHOST:-localhost}", vars, kAt, env.lookup()), "db1");
}

TEST_F(Variables, EnvironmentDefaultMayBeEmpty) {
  EXPECT_EQ(substitute("[${env:NOPE:-}]", vars, kAt, env.lookup()), "[]");
}

TEST_F(Variables, EmptyEnvironmentNameIsAnError) {
  ValidationError e = substitute_error("x ${env:}", vars, kAt, env.lookup());
  EXPECT_EQ(e.message(), "empty environment variable name in '${env:}'");
  EXPECT_EQ(e.where().column, 12);
  EXPECT_TRUE(env.asked.empty());
}

TEST_F(Variables, DoubleDollarIsALiteralDollar) {
  EXPECT_EQ(substitute("costs $$5", vars, kAt, env.lookup()), "costs $5");
  EXPECT_EQ(substitute("$${host}", vars, kAt, env.lookup()), "${host}");
  EXPECT_EQ(substitute("$$$${host}", vars, kAt, env.lookup()), "$${host}");
  EXPECT_EQ(substitute("$$${host}", vars, kAt, env.lookup()), "$db.example");
}

TEST_F(Variables, LoneDollarIsKept) {
  EXPECT_EQ(substitute("$1 and $name", vars, kAt, env.lookup()), "$1 and $name");
  EXPECT_EQ(substitute("price$", vars, kAt, env.lookup()), "price$");
}

TEST_F(Variables, UnterminatedReference) {
  ValidationError e = substitute_error("ab ${host", vars, kAt, env.lookup());
  EXPECT_EQ(e.where().column, 13);
  EXPECT_EQ(e.message(), "unterminated variable reference '${host': close it with '}' (write $$ for a literal $)");
}

TEST_F(Variables, EmptyReference) {
  ValidationError e = substitute_error("${}", vars, kAt, env.lookup());
  EXPECT_EQ(e.where().column, 10);
  EXPECT_EQ(e.message(), "empty variable reference '${}'");
}

TEST_F(Variables, ErrorColumnIsThatOfTheFailingReference) {
  // The first two resolve; the third does not: its '$' is at offset 16.
  ValidationError e = substitute_error("${host}:${port}/${db}", vars, kAt, env.lookup());
  EXPECT_EQ(e.where().column, 10 + 16);
  EXPECT_TRUE(contains(e.message(), "undefined variable 'db'")) << e.message();
}

TEST(HasReference, DetectsDollar) {
  EXPECT_TRUE(has_reference("${x}"));
  EXPECT_TRUE(has_reference("a$$b"));
  EXPECT_FALSE(has_reference("plain"));
  EXPECT_FALSE(has_reference(""));
}

// --- resolve_variables: definitions in any order --------------------------------------------------

VarDefinition def(const std::string& name, const std::string& text, int line, bool literal = false) {
  return {name, text, SourceLocation{"vars.yaml", line, 6}, literal};
}

TEST_F(Variables, ResolvesInAnyOrderWithTheEnvironment) {
  env.values["REGION"] = "eu";
  const VarTable got = resolve_variables(
      {def("url", "postgresql://${host}/${db}?r=${env:REGION}", 3), def("host", "${name}.example", 4),
       def("name", "db", 5), def("db", "bank", 6), def("price", "$${host}", 7)},
      env.lookup());
  EXPECT_EQ(got, (VarTable{{"url", "postgresql://db.example/bank?r=eu"},
                           {"host", "db.example"},
                           {"name", "db"},
                           {"db", "bank"},
                           {"price", "${host}"}}));
}

TEST_F(Variables, ALiteralIsNotSubstituted) {
  EXPECT_EQ(resolve_variables({def("a", "${b}", 3, true), def("b", "${a}", 4)}, env.lookup()),
            (VarTable{{"a", "${b}"}, {"b", "${b}"}}));
}

TEST_F(Variables, ACycleIsNamedAtItsFirstVariable) {
  try {
    resolve_variables({def("x", "1", 3), def("a", "${b}", 4), def("b", "-${c}", 5), def("c", "${a}", 6)}, env.lookup());
    FAIL() << "resolved a cycle";
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.where().str(), "vars.yaml:4:6");
    EXPECT_TRUE(contains(e.message(), "variables refer to each other in a cycle: a -> b -> c -> a")) << e.what();
  }
}

TEST_F(Variables, AnUndefinedReferenceListsEveryDeclaredName) {
  try {
    resolve_variables({def("amount", "${amout}", 3), def("zeta", "z", 4)}, env.lookup());
    FAIL() << "resolved an undefined reference";
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.where().str(), "vars.yaml:3:6");
    EXPECT_TRUE(contains(e.message(), "undefined variable 'amout' (did you mean 'amount'?); defined: amount, zeta"))
        << e.what();
  }
}

TEST_F(Variables, AValueOverTheLengthLimitIsAnError) {
  const VarTable big{{"big", std::string(600 * 1024, 'x')}};
  EXPECT_EQ(substitute("${big}", big, kAt, env.lookup()).size(), 600u * 1024);
  EXPECT_TRUE(contains(substitute_error("${big}${big}", big, kAt, env.lookup()).message(), "more than 1048576 bytes longer than it is written"));
  // What the value says itself is not the variables' doing (a long SQL text, say).
  const std::string long_text(2 << 20, 'x');
  EXPECT_EQ(substitute(long_text + "${host}", vars, kAt, env.lookup()).size(), long_text.size() + 10);
}

TEST(ProcessEnv, ReadsTheRealEnvironment) {
  ASSERT_EQ(setenv("ROACHRUN_VARIABLES_TEST", "from-env", 1), 0);
  EXPECT_EQ(process_env("ROACHRUN_VARIABLES_TEST"), "from-env");
  EXPECT_EQ(substitute("${env:ROACHRUN_VARIABLES_TEST}", {}, kAt), "from-env");
  ASSERT_EQ(unsetenv("ROACHRUN_VARIABLES_TEST"), 0);
  EXPECT_EQ(process_env("ROACHRUN_VARIABLES_TEST"), std::nullopt);
}

}  // namespace
}  // namespace roachrun
