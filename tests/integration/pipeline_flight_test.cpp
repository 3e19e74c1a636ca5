// Connection's pipelined flights on the real server: an implicit transaction commits at its Sync,
// and a commit can fail there (SERIALIZABLE's 40001, a deferred constraint). That error is the
// flight's DbError -- not a lost connection, which the retry engine would take for an ambiguous
// commit and answer with a new session -- and the flights after it still read. (bank.workload's
// in_flight > 1 sends each transfer as such a flight, several at once.)
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "roachrun/connection.hpp"
#include "roachrun/error.hpp"
#include "support/test_server.hpp"

namespace roachrun::test {
namespace {

class PipelineFlight : public ::testing::Test {
 protected:
  void SetUp() override {
    conn_.emplace(TestServer::get().connect("root", TestServer::get().create_database("flight")));
    // Checked at commit, not at the INSERT: a duplicate fails the Sync, not the statement.
    conn_->exec_simple("CREATE TABLE once (id INT, CONSTRAINT once_id UNIQUE (id) DEFERRABLE INITIALLY DEFERRED)");
    conn_->prepare("insert_once", "INSERT INTO once (id) VALUES ($1), ($1)", 1);
    conn_->prepare("insert_one", "INSERT INTO once (id) VALUES ($1)", 1);
  }
  std::optional<Connection> conn_;
};

TEST_F(PipelineFlight, AnErrorAtTheSyncIsThatErrorAndTheNextFlightsRead) {
  Connection& c = *conn_;
  c.pipeline_enter();
  const char* const two[] = {"2"};
  const char* const three[] = {"3"};
  const char* const four[] = {"4"};
  // Three flights in one go: the middle one's commit fails at its Sync.
  c.queue_prepared("insert_one", 1, three);
  c.pipeline_sync();
  c.queue_prepared("insert_once", 1, two);
  c.pipeline_sync();
  c.queue_prepared("insert_one", 1, four);
  c.pipeline_sync();

  Result first;
  ASSERT_NO_THROW(c.read_flight(&first, 1));
  EXPECT_EQ(first.affected_rows(), 1);
  Result second;
  try {
    c.read_flight(&second, 1);
    FAIL() << "the duplicate's commit did not fail";
  } catch (const DbError& e) {
    EXPECT_EQ(e.sqlstate(), "23505") << e.what();
  }
  EXPECT_TRUE(c.is_ok());
  Result third;
  ASSERT_NO_THROW(c.read_flight(&third, 1)) << "the flight after the failed commit";
  EXPECT_EQ(third.affected_rows(), 1);
  c.pipeline_exit();
  EXPECT_EQ(std::string(c.exec_simple("SELECT string_agg(id::text, ',' ORDER BY id) FROM once").text(0, 0)), "3,4")
      << "the failed commit left nothing, the others committed";
}

}  // namespace
}  // namespace roachrun::test
