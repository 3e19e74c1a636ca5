// The PostgreSQL server of one test binary: a real throwaway server (the same LocalServer the
// `local` target uses), started on first use and stopped when the binary exits.
#pragma once

#include <string>

#include "engine/target.hpp"
#include "roachrun/connection.hpp"

namespace spdlog {
class logger;
}

namespace roachrun::test {

class TestServer {
 public:
  static TestServer& get();

  int port() const;
  // postgresql://user@127.0.0.1:port/database?sslmode=disable
  std::string url(const std::string& user = "root", const std::string& database = "defaultdb") const;
  LibpqOptions options(const std::string& user = "root", const std::string& database = "defaultdb") const;
  Connection connect(const std::string& user = "root", const std::string& database = "defaultdb") const;
  // A fresh database for one test, so tests do not see each other's tables.
  std::string create_database(const std::string& prefix);
  spdlog::logger& log();
};

// The accounts table of `database` as "id=balance id=balance ", ordered by id: what the bank
// tests compare before and after a step.
std::string balances(const std::string& database);
// The same, read on `conn` (e.g. inside its transaction).
std::string balances(Connection& conn);

}  // namespace roachrun::test
