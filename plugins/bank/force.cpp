#include "force.hpp"

#include <string>

namespace roachrun_bank {

void force_serialization_failure(roachrun::Connection& conn, bool cockroach, const char* message) {
  if (cockroach) {
    conn.exec_simple("SELECT crdb_internal.force_retry('1s'::INTERVAL)");
    return;
  }
  conn.exec_script(std::string("DO $$BEGIN RAISE EXCEPTION USING ERRCODE = '40001', MESSAGE = '") + message +
                   "'; END$$");
}

}  // namespace roachrun_bank
