// engine/redact.hpp: known secrets never reach a log line or a report.
#include <gtest/gtest.h>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "engine/redact.hpp"

namespace roachrun {
namespace {

TEST(Redactor, MasksKnownSecretsAnywhere) {
  Redactor r;
  r.add("s3cret-pw");
  EXPECT_EQ(r.redact("invalid input syntax for type integer: \"s3cret-pw\""),
            "invalid input syntax for type integer: \"***\"");
  EXPECT_EQ(r.redact("nothing here"), "nothing here");
}

TEST(Redactor, MasksTheUrlEncodedFormToo) {
  Redactor r;
  r.add("p@ss/word");
  EXPECT_EQ(r.redact("a p@ss/word and p%40ss%2Fword"), "a *** and ***");
}

TEST(Redactor, PasswordsOfConninfoStrings) {
  Redactor r;
  r.add_conninfo("postgresql://root:Pa55-url@localhost:26257/defaultdb?sslmode=disable");
  r.add_conninfo("host=h user=u password='Pa55 kv'");
  r.add_conninfo("local");
  r.add_conninfo("not a conninfo ===");
  EXPECT_EQ(r.redact("x Pa55-url y Pa55 kv z"), "x *** y *** z");
}

TEST(Redactor, ScenarioPasswords) {
  Scenario s;
  s.target.url = "postgresql://u:TargetPw1@h/db";
  ConnectionDef c;
  c.password = "ConnPw22";
  c.libpq = {{"sslpassword", "KeyPw333"}};
  s.connections.push_back(c);
  Redactor r;
  r.add_scenario(s);
  EXPECT_EQ(r.redact("TargetPw1 ConnPw22 KeyPw333"), "*** *** ***");
}

TEST(Redactor, LongerSecretsFirstAndShortOnesOnlyAsPasswords) {
  Redactor r;
  r.add("abc");
  r.add("abcdef");
  EXPECT_EQ(r.redact("abcdef abc"), "*** ***");
  Redactor shorty;
  shorty.add("ab");  // too short to mask everywhere...
  EXPECT_EQ(shorty.redact("about postgresql://u:ab@h/"), "about postgresql://u:***@h/");  // ...but still as a password
}

TEST(Redactor, TheSinkMasksEveryLevel) {
  Redactor r;
  r.add("LogSecret9");
  std::ostringstream out;
  auto sink = make_redacting_sink(std::make_shared<spdlog::sinks::ostream_sink_st>(out), r);
  spdlog::logger log("t", sink);
  log.set_level(spdlog::level::trace);
  log.set_pattern("%l %v");
  log.trace("connecting with password={}", "LogSecret9");
  log.error("server said: LogSecret9");
  EXPECT_EQ(out.str(), "trace connecting with password=***\nerror server said: ***\n");
}

}  // namespace
}  // namespace roachrun
