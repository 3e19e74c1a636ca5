// bank.print_balances: the tutorial's print_balances(), output byte for byte.
#include <ctime>
#include <ostream>
#include <string>

#include <roachrun/roachrun.hpp>

#include "accounts.hpp"
#include "asctime.hpp"
#include "steps.hpp"

namespace roachrun_bank {

namespace {

// Python's str(cell) inside a printed list: '1000'; the tutorial's str(None) gives 'None'.
std::string cell(const roachrun::Result& r, int row, int column) {
  return "'" + (r.is_null(row, column) ? std::string("None") : std::string(r.text(row, column))) + "'";
}

void run(roachrun::StepContext& ctx, const roachrun::Params& p) {
  // ORDER BY, unlike the tutorial: the output must not depend on the server's scan order. A read:
  // run again on a new session if the connection is lost; nothing is printed until it answered.
  roachrun::Result r;
  roachrun::run_reconnecting(ctx, [&](roachrun::Connection& conn) {
    r = conn.exec_params("SELECT id, balance FROM " + quoted_table(conn, p) + " ORDER BY id");
  });

  std::string text = "Balances at " + python_asctime(std::time(nullptr)) + "\n";
  for (int i = 0; i < r.rows(); ++i) text += "[" + cell(r, i, 0) + ", " + cell(r, i, 1) + "]\n";
  std::ostream& out = ctx.out();
  out << text;
  out.flush();
}

}  // namespace

roachrun::StepType print_balances_step() {
  return roachrun::StepType{
      .name = "print_balances",
      .doc = "Print 'Balances at <time>' then ['<id>', '<balance>'] per account, ordered by id",
      .params = {table_param()},
      .run = run,
      .check = check_table,
  };
}

}  // namespace roachrun_bank
