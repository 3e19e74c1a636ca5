#include "support/workload.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <thread>

#include "roachrun/error.hpp"

namespace roachrun::test {

using Clock = std::chrono::steady_clock;

CommandResult finish(RunningCommand& cmd, std::chrono::seconds limit) {
  const auto deadline = Clock::now() + limit;
  for (;;) {
    siginfo_t info{};
    if (waitid(P_PID, static_cast<id_t>(cmd.pid()), &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid != 0) break;
    if (Clock::now() >= deadline) {
      ADD_FAILURE() << "roachrun still running after " << limit.count() << " s; killed";
      cmd.signal(SIGKILL);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return cmd.wait();
}

std::string step(const std::string& type, const ParamList& params, const std::string& step_retry) {
  std::string s = "  - " + type + ":\n";
  for (const auto& [k, v] : params) s += "      " + k + ": " + v + "\n";
  if (!step_retry.empty()) s += "    retry: " + step_retry + "\n";
  return s;
}

std::int64_t number(const std::string& text, const std::regex& re) {
  std::smatch m;
  return std::regex_search(text, m, re) ? std::stoll(m[1].str()) : -1;
}

void expect_money_conserved(Connection& direct, std::int64_t accounts, std::int64_t initial_balance,
                            const std::string& table) {
  const auto scalar = [&](const std::string& sql) { return direct.exec_params(sql).integer(0, 0); };
  EXPECT_EQ(scalar("SELECT count(*) FROM " + table), accounts);
  EXPECT_EQ(scalar("SELECT COALESCE(sum(balance), 0) FROM " + table), accounts * initial_balance);
  EXPECT_EQ(scalar("SELECT count(*) FROM " + table + " WHERE balance < 0"), 0);
}

bool wait_for_rows(Connection& direct, const std::string& table, std::int64_t rows, std::chrono::seconds limit) {
  const std::string sql = "SELECT count(*) FROM " + table;
  for (const auto deadline = Clock::now() + limit; Clock::now() < deadline;) {
    try {
      if (direct.exec_simple(sql.c_str()).integer(0, 0) >= rows) return true;
    } catch (const DbError&) {  // not created yet
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

}  // namespace roachrun::test
