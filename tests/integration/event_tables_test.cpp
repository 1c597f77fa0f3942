// The tables of the event file (--event): each bad entry stops the server at
// start with exit 2 and one line naming the table and the problem, so an
// organiser finds the typo before the session, not when a table misbehaves.
// Ids the server owns (the plenary, the rounds' group-N rooms) are refused.
#include "tests/support/process.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <string>
#include <vector>

using namespace roundtable::test;
using namespace std::chrono_literals;

namespace {

std::string event_file(temp_dir const& dir, std::string const& tables) {
  auto const path = dir.path() + "/event.json";
  std::ofstream(path) << R"({"id":"e","tables":)" << tables << "}";
  return path;
}

}  // namespace

TEST_CASE("a bad table in the event file stops the server at start with one line", "[config]") {
  temp_dir dir;
  struct bad_case {
    std::string tables, says;
  };
  std::vector<bad_case> const cases{
      {R"({"id":"t1"})", "'tables' must be an array"},
      {R"([{"topic":"One"}])", "each table needs an id"},
      {R"([{"id":"t 1","topic":"One"}])", "each table needs an id"},
      {R"([{"id":"plenary","topic":"One"}])", "table id plenary is reserved"},
      {R"([{"id":"group-3","topic":"One"}])", "table id group-3 is reserved"},
      {R"([{"id":"t1"}])", "table t1 needs a topic"},
      {R"([{"id":"t1","topic":"One","capacity":-1}])", "capacity must be 0 or more"},
      {R"([{"id":"t1","topic":"One","help":"all"}])", "help must be"},
      {R"([{"id":"t1","topic":"One"},{"id":"t1","topic":"Two"}])", "table id t1 appears twice"},
  };
  for (auto const& c : cases) {
    INFO(c.tables);
    auto const out = event_refused(dir, R"({"id":"e","tables":)" + c.tables + "}");
    REQUIRE(out);
    CHECK(out->find(c.says) != std::string::npos);
  }
}

TEST_CASE("an event file's tables with ids close to the reserved ones start", "[config]") {
  temp_dir dir;
  // Only the exact plenary id and the group- prefix are the server's.
  server_process srv({"--ephemeral", "--event",
                      event_file(dir, R"([{"id":"plenary2","topic":"A"},)"
                                      R"({"id":"groups","topic":"B"}])")});
  ws_client c(srv.port);
  auto const h = c.hello("Ana");
  REQUIRE(h.boolean("ok"));
  CHECK(table_row(h, "plenary2"));
  CHECK(table_row(h, "groups"));
}
