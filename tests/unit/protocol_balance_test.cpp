// Unit tests of the chair's `balance` parsing: every open table by default,
// or a list of 2 to 1000 distinct table ids, and every kind of bad field.
#include "tests/unit/parse_harness.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace roundtable::protocol;

using roundtable::protocol::test::harness;

namespace {

std::string ids(std::size_t n) {
  std::string out = "[";
  for (std::size_t i = 0; i < n; ++i) out += (i ? ",\"t" : "\"t") + std::to_string(i) + "\"";
  return out + "]";
}

}  // namespace

TEST_CASE("balance: every open table, or the tables named") {
  harness h;
  REQUIRE(h.parse(R"({"op":"balance"})"));
  REQUIRE(std::holds_alternative<balance>(h.cmd.op));
  CHECK(std::get<balance>(h.cmd.op).tables.empty());
  CHECK(op_name(h.cmd.op) == "balance");
  REQUIRE(h.parse(R"({"op":"balance","tables":null})"));
  CHECK(std::get<balance>(h.cmd.op).tables.empty());
  REQUIRE(h.parse(R"({"op":"balance","tables":["synergies","big-data"],"rid":3})"));
  CHECK(std::get<balance>(h.cmd.op).tables == std::vector<std::string>{"synergies", "big-data"});
  REQUIRE(h.parse(R"({"op":"balance","tables":)" + ids(1000) + "}"));
  CHECK(std::get<balance>(h.cmd.op).tables.size() == 1000);
}

TEST_CASE("balance: bad tables are refused with a clear message") {
  harness h;
  auto const count = "balance: 'tables' must be an array of 2 to 1000 table ids";
  CHECK(h.fails(R"({"op":"balance","tables":[]})", error_code::bad_request) == count);
  CHECK(h.fails(R"({"op":"balance","tables":["one"]})", error_code::bad_request) == count);
  CHECK(h.fails(R"({"op":"balance","tables":)" + ids(1001) + "}", error_code::bad_request) ==
        count);
  CHECK(h.fails(R"({"op":"balance","tables":"synergies"})", error_code::bad_request) == count);
  h.fails(R"({"op":"balance","tables":{"a":1}})", error_code::bad_request);
  h.fails(R"({"op":"balance","tables":["a",7]})", error_code::bad_request);
  h.fails(R"({"op":"balance","tables":["a","bad id"]})", error_code::bad_request);
  h.fails(R"({"op":"balance","tables":["a",""]})", error_code::bad_request);
  h.fails(R"({"op":"balance","tables":["a","plenary"]})", error_code::bad_request);
  h.fails(R"({"op":"balance","tables":["a",["b"]]})", error_code::bad_request);
  h.fails(R"({"op":"balance","tables":["a",null]})", error_code::bad_request);
  CHECK(h.fails(R"({"op":"balance","tables":["a","b","a"]})", error_code::bad_request) ==
        "balance: 'tables' names a table twice");
}
