// What the tests of bank.workload through the roachrun binary share: the scenario's step, waiting
// for a run, reading the summary's figures, and the money checked with the test's own SQL.
#pragma once

#include <chrono>
#include <cstdint>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "roachrun/connection.hpp"
#include "support/command.hpp"

namespace roachrun::test {

using ParamList = std::vector<std::pair<std::string, std::string>>;

// Waits for `cmd` at most `limit` (then kills it and fails the test), and collects it. The
// process is only looked at (WNOWAIT) until then, so the pid is never signalled once reaped.
CommandResult finish(RunningCommand& cmd, std::chrono::seconds limit = std::chrono::seconds(120));

// The steps of a scenario: one step of `type` with its parameters one per line, so a test can
// tell the line and column of each value: a value starts at column len(key) + 9.
std::string step(const std::string& type, const ParamList& params, const std::string& step_retry = "");

// The first group of `re` in `text` as a number; -1 if `re` does not match.
std::int64_t number(const std::string& text, const std::regex& re);

// The invariant, checked on `direct`: `accounts` rows in `table`, the total conserved, no
// balance negative.
void expect_money_conserved(Connection& direct, std::int64_t accounts, std::int64_t initial_balance,
                            const std::string& table = "accounts");

// Waits (up to `limit`) until `SELECT count(*) FROM table` on `direct` says at least `rows`; a
// table not created yet counts as empty. False if it never did.
bool wait_for_rows(Connection& direct, const std::string& table, std::int64_t rows,
                   std::chrono::seconds limit = std::chrono::seconds(30));

}  // namespace roachrun::test
