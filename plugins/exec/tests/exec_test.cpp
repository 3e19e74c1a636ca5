// exec.run as a step: its parameters checked as validation checks them, and real programs run
// through a FakeStepContext (what it prints, logs, keeps in its result, and how it fails).
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <roachrun/testing.hpp>

#include "command.hpp"
#include "command_text.hpp"
#include "output.hpp"
#include "program_path.hpp"
#include "steps.hpp"

extern char** environ;

namespace roachrun_exec {
namespace {

using namespace std::chrono_literals;
using roachrun::Value;

// The step's parameters as validation hands them over: every declared one present, defaults filled in.
roachrun::Params params(Value given) {
  const Value defaults = {{"argv", nullptr}, {"shell", nullptr}, {"env", nullptr}, {"cwd", nullptr},
                          {"timeout", 60000}, {"expect_status", 0}, {"print", true}};
  for (const auto& [k, v] : defaults.items())
    if (!given.contains(k)) given[k] = v;
  return roachrun::Params(std::move(given));
}

std::string param_error(const Value& given) {
  try {
    run_step().check(params(given));
  } catch (const roachrun::ParamError& e) {
    return e.param() + ": " + e.what();
  }
  return "";
}

TEST(ShellQuote, QuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(shell_quote("ls"), "ls");
  EXPECT_EQ(shell_quote("/usr/bin/cockroach"), "/usr/bin/cockroach");
  EXPECT_EQ(shell_quote("--certs-dir=certs"), "--certs-dir=certs");
  EXPECT_EQ(shell_quote("my dir"), "'my dir'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote(""), "''");
  EXPECT_EQ(shell_quote("$HOME"), "'$HOME'");
  EXPECT_EQ(command_text({"sh", "-c", "exit 3"}), "sh -c 'exit 3'");
}

TEST(DurationText, AsAUserWritesIt) {
  EXPECT_EQ(duration_text(5000), "5s");
  EXPECT_EQ(duration_text(250), "250ms");
  EXPECT_EQ(duration_text(1500), "1.5s");
  EXPECT_EQ(duration_text(120000), "2m");
  EXPECT_EQ(duration_text(61250), "61.25s");
}

TEST(ValidUtf8, KeepsValidTextAndReplacesTheRest) {
  EXPECT_EQ(valid_utf8("plain\n"), "plain\n");
  EXPECT_EQ(valid_utf8("gr\xC3\xBC\xC3\x9F \xE2\x82\xAC \xF0\x9F\x90\x9B"), "gr\xC3\xBC\xC3\x9F \xE2\x82\xAC \xF0\x9F\x90\x9B");
  EXPECT_EQ(valid_utf8("a\xFF" "b"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(valid_utf8("cut \xE2\x82"), "cut \xEF\xBF\xBD\xEF\xBF\xBD");  // a sequence cut at 1 MiB
  EXPECT_EQ(valid_utf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");          // overlong '/'
  EXPECT_EQ(valid_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
}

TEST(BoundedCapture, KeepsTheFirstBytesAndSaysItCut) {
  BoundedCapture c(5);
  c.append("abc");
  EXPECT_FALSE(c.truncated());
  c.append("defg");
  c.append("h");
  EXPECT_EQ(c.text(), "abcde");
  EXPECT_TRUE(c.truncated());
}

TEST(LineSplitter, LinesAcrossChunksAndAnEndlessOne) {
  std::vector<std::string> lines;
  LineSplitter s([&](std::string_view l) { lines.emplace_back(l); }, 4);
  s.feed("a\r\nb");
  s.feed("c\n\nlonglong");
  s.feed("x");
  s.finish();
  EXPECT_EQ(lines, (std::vector<std::string>{"a", "bc", "", "long", "long", "x"}));
}

TEST(FindProgram, OnPathAsAPathAndNot) {
  EXPECT_EQ(find_program("sh", "/nonexistent:/bin:/usr/bin", "").path, "/bin/sh");
  const ProgramLookup missing = find_program("cockroachh", "/usr/local/bin:/usr/bin", "");
  EXPECT_FALSE(missing.path);
  EXPECT_EQ(missing.problem, "program 'cockroachh' not found on PATH (/usr/local/bin:/usr/bin)");
  EXPECT_EQ(find_program("/bin/sh", "", "").path, "/bin/sh");
  EXPECT_EQ(find_program("./sh", "", "/bin").path, "/bin/./sh");
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("exec_test." + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  { std::ofstream(dir / "data") << "not a program\n"; }
  std::filesystem::permissions(dir / "data", std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_NE(find_program((dir / "data").string(), "", "").problem.find("is not an executable file"), std::string::npos);
  EXPECT_NE(find_program("data", dir.string(), "").problem.find((dir / "data").string() + " exists but is not an executable file"),
            std::string::npos);
  EXPECT_NE(find_program("bin", "/", "").problem.find("not found on PATH (/)"), std::string::npos) << "a directory is no program";
  std::filesystem::remove_all(dir);
  EXPECT_NE(find_program("/no/such/tool", "", "").problem.find("program '/no/such/tool' not found (no file /no/such/tool)"),
            std::string::npos);
  EXPECT_NE(find_program("", "/bin", "").problem.find("empty"), std::string::npos);
}

TEST(Command, EnvAddsReplacesAndRemoves) {
  const char* base[] = {"HOME=/root", "PATH=/bin", "LANG=C", nullptr};
  const Command c = command_of(params({{"argv", {"env"}}, {"env", {{"HOME", "/tmp"}, {"LANG", nullptr}, {"N", 3}}}}), base);
  EXPECT_EQ(c.env, (std::vector<std::string>{"PATH=/bin", "HOME=/tmp", "N=3"}));
  EXPECT_EQ(c.path_list, "/bin");
  const Command no_path = command_of(params({{"shell", "x"}, {"env", {{"PATH", nullptr}}}}), base);
  EXPECT_EQ(no_path.path_list, kDefaultPath);
  EXPECT_EQ(no_path.argv, (std::vector<std::string>{"/bin/sh", "-c", "x"}));
  EXPECT_EQ(no_path.name, "sh");
  EXPECT_EQ(command_of(params({{"argv", {"/usr/bin/cockroach", "node", "drain", "1"}}}), base).name, "cockroach");
}

TEST(Check, ExactlyOneOfArgvAndShell) {
  EXPECT_NE(param_error({}).find("argv: give exactly one of 'argv'"), std::string::npos) << param_error({});
  EXPECT_NE(param_error({{"argv", {"true"}}, {"shell", "true"}}).find("shell: give exactly one"), std::string::npos);
  EXPECT_NE(param_error({{"argv", Value::array()}}).find("argv: 'argv' is an empty list"), std::string::npos);
  EXPECT_NE(param_error({{"shell", "  "}}).find("shell: 'shell' is empty"), std::string::npos);
  EXPECT_EQ(param_error({{"argv", {"true"}}}), "");
  EXPECT_EQ(param_error({{"shell", "exit 0"}}), "");
}

TEST(Check, ProgramNotFoundNamesItAndPath) {
  const std::string e = param_error({{"argv", {"cockroachh", "version"}}, {"env", {{"PATH", "/usr/bin:/bin"}}}});
  EXPECT_EQ(e,
            "argv: program 'cockroachh' not found on PATH (/usr/bin:/bin); give its full path, or add its directory "
            "to PATH (env: {PATH: ...})");
  EXPECT_NE(param_error({{"argv", {"ls -l"}}}).find("argv is a list of words, [ls, -l]"), std::string::npos);
  EXPECT_NE(param_error({{"argv", {"/no/such/cockroach"}}}).find("argv: program '/no/such/cockroach' not found"),
            std::string::npos);
  // Known only when the run gets there: a capture, a directory an earlier step makes.
  EXPECT_EQ(param_error({{"argv", {"${tool}"}}}), "");
  EXPECT_EQ(param_error({{"argv", {"./bin/tool"}}, {"cwd", "/no/such/dir/yet"}}), "");
}

TEST(Check, OtherParameters) {
  EXPECT_NE(param_error({{"argv", {"true"}}, {"env", {{"A=B", "x"}}}}).find("env: environment variable name 'A=B'"),
            std::string::npos);
  EXPECT_NE(param_error({{"argv", {"true"}}, {"timeout", 0}}).find("timeout: 'timeout' must be longer than 0s"),
            std::string::npos);
  EXPECT_NE(param_error({{"argv", {"true"}}, {"cwd", ""}}).find("cwd: 'cwd' is empty"), std::string::npos);
}

TEST(Run, PrintsStdoutAndKeepsTheResult) {
  roachrun::testing::FakeStepContext ctx;
  run_step().run(ctx, params({{"argv", {"echo", "hello", "world"}}}));
  EXPECT_EQ(ctx.printed(), "hello world\n");
  ASSERT_TRUE(ctx.result());
  const Value& r = *ctx.result();
  EXPECT_EQ(r["exit_status"], 0);
  EXPECT_TRUE(r["signal"].is_null());
  EXPECT_EQ(r["stdout"], "hello world\n");
  EXPECT_EQ(r["stderr"], "");
  EXPECT_TRUE(r["duration_ms"].is_number_integer());
  EXPECT_FALSE(r.contains("stdout_truncated"));
}

TEST(Run, PrintFalseOnlyKeepsIt) {
  roachrun::testing::FakeStepContext ctx;
  run_step().run(ctx, params({{"shell", "printf 'a\\nb'"}, {"print", false}}));
  EXPECT_EQ(ctx.printed(), "");
  EXPECT_EQ((*ctx.result())["stdout"], "a\nb");
}

TEST(Run, StderrIsLoggedLineByLineAndKept) {
  roachrun::testing::FakeStepContext ctx;
  run_step().run(ctx, params({{"shell", "echo one >&2; printf 'two' >&2"}}));
  EXPECT_NE(ctx.logged().find("info: sh: one\ninfo: sh: two\n"), std::string::npos) << ctx.logged();
  EXPECT_EQ((*ctx.result())["stderr"], "one\ntwo");
  EXPECT_EQ(ctx.printed(), "");
}

TEST(Run, NonzeroStatusFailsNamingTheCommandStatusAndStderr) {
  roachrun::testing::FakeStepContext ctx;
  try {
    run_step().run(ctx, params({{"argv", {"sh", "-c", "echo nope >&2; exit 3"}}}));
    FAIL() << "no error";
  } catch (const roachrun::StepError& e) {
    EXPECT_STREQ(e.what(), "command sh -c 'echo nope >&2; exit 3' exited with status 3, expected 0; its stderr ended with: nope");
  }
  EXPECT_EQ((*ctx.result())["exit_status"], 3);  // the result is there for the report
}

TEST(Run, ExpectStatus) {
  roachrun::testing::FakeStepContext ctx;
  EXPECT_NO_THROW(run_step().run(ctx, params({{"argv", {"false"}}, {"expect_status", 1}})));
  EXPECT_THROW(run_step().run(ctx, params({{"argv", {"true"}}, {"expect_status", 1}})), roachrun::StepError);
}

TEST(Run, KilledBySignal) {
  roachrun::testing::FakeStepContext ctx;
  try {
    run_step().run(ctx, params({{"shell", "kill -KILL $$"}}));
    FAIL() << "no error";
  } catch (const roachrun::StepError& e) {
    EXPECT_STREQ(e.what(), "command /bin/sh -c 'kill -KILL $$' was killed by signal 9 (SIGKILL) (expected exit status 0)");
  }
  EXPECT_TRUE((*ctx.result())["exit_status"].is_null());
  EXPECT_EQ((*ctx.result())["signal"], "SIGKILL");
}

TEST(Run, EnvAndCwd) {
  roachrun::testing::FakeStepContext ctx;
  const std::string dir = std::filesystem::temp_directory_path().string();
  run_step().run(ctx, params({{"shell", "echo \"$GREETING\" \"${HOME-unset}\"; pwd"},
                              {"env", {{"GREETING", "hi there"}, {"HOME", nullptr}}},
                              {"cwd", dir}}));
  EXPECT_EQ(ctx.printed(), "hi there unset\n" + std::filesystem::canonical(dir).string() + "\n");
}

TEST(Run, MissingWorkingDirectoryFailsNamingIt) {
  roachrun::testing::FakeStepContext ctx;
  try {
    run_step().run(ctx, params({{"argv", {"true"}}, {"cwd", "/no/such/dir"}}));
    FAIL() << "no error";
  } catch (const roachrun::StepError& e) {
    EXPECT_NE(std::string(e.what()).find("working directory '/no/such/dir' is not a directory"), std::string::npos) << e.what();
  }
}

TEST(Run, TimeoutStopsItAndSaysSo) {
  roachrun::testing::FakeStepContext ctx;
  const auto start = std::chrono::steady_clock::now();
  try {
    run_step().run(ctx, params({{"argv", {"sleep", "30"}}, {"timeout", 300}}));
    FAIL() << "no error";
  } catch (const roachrun::StepError& e) {
    EXPECT_STREQ(e.what(), "command sleep 30 timed out after 300ms (stopped with SIGTERM; raise 'timeout' if it needs longer)");
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_EQ((*ctx.result())["signal"], "SIGTERM");
}

TEST(Run, InterruptStopsItAndThrowsInterrupted) {
  roachrun::testing::FakeStepContext ctx;
  std::thread ctrl_c([&] {
    std::this_thread::sleep_for(200ms);
    ctx.interrupt();
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(run_step().run(ctx, params({{"argv", {"sleep", "30"}}})), roachrun::Interrupted);
  ctrl_c.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms);
  EXPECT_NE(ctx.logged().find("interrupted: stopped command sleep 30 (SIGTERM)"), std::string::npos) << ctx.logged();
}

TEST(Run, InterruptedBeforeItStartsRunsNothing) {
  roachrun::testing::FakeStepContext ctx;
  ctx.interrupt();
  EXPECT_THROW(run_step().run(ctx, params({{"shell", "echo ran"}})), roachrun::Interrupted);
  EXPECT_EQ(ctx.printed(), "");
}

TEST(Run, ProgramGoneSinceValidationFailsNamingIt) {
  roachrun::testing::FakeStepContext ctx;
  try {
    run_step().run(ctx, params({{"argv", {"no-such-program-xyz"}}}));
    FAIL() << "no error";
  } catch (const roachrun::StepError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot run command no-such-program-xyz: program 'no-such-program-xyz' not found on PATH"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace roachrun_exec
