// Unit tests of the `networking` op's parsing: starting rounds (size,
// minutes, rounds with its default), stopping them and opting out, exactly
// one form per message, and every kind of bad field.
#include "tests/unit/parse_harness.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace roundtable::protocol;
using roundtable::protocol::test::harness;

TEST_CASE("networking: start with size, minutes and rounds") {
  harness h;
  REQUIRE(h.parse(R"({"op":"networking","size":3,"minutes":5,"rounds":2})"));
  auto const& c = std::get<networking>(h.cmd.op);
  CHECK(c.size == 3);
  CHECK(c.minutes == 5);
  CHECK(c.rounds == 2);
  CHECK_FALSE(c.stop);
  CHECK_FALSE(c.opting);
  REQUIRE(h.parse(R"({"op":"networking","size":2,"minutes":1})"));
  CHECK(std::get<networking>(h.cmd.op).rounds == 1);  // the default
  REQUIRE(h.parse(R"({"op":"networking","size":4,"minutes":30,"rounds":10,"stop":false})"));
  REQUIRE(h.parse(R"({"op":"networking","size":4,"minutes":30,"rounds":null})"));
  CHECK(std::get<networking>(h.cmd.op).rounds == 1);
}

TEST_CASE("networking: stop and opt out") {
  harness h;
  REQUIRE(h.parse(R"({"op":"networking","stop":true})"));
  CHECK(std::get<networking>(h.cmd.op).stop);
  CHECK(std::get<networking>(h.cmd.op).size == 0);
  REQUIRE(h.parse(R"({"op":"networking","opt_out":true})"));
  CHECK(std::get<networking>(h.cmd.op).opting);
  CHECK(std::get<networking>(h.cmd.op).opt_out);
  REQUIRE(h.parse(R"({"op":"networking","opt_out":false,"stop":false})"));
  CHECK(std::get<networking>(h.cmd.op).opting);
  CHECK_FALSE(std::get<networking>(h.cmd.op).opt_out);
}

TEST_CASE("networking: exactly one form, each field in range") {
  harness h;
  std::string const one =
      "networking: give 'size' and 'minutes' (and 'rounds'), or 'stop': true, or 'opt_out'";
  CHECK(h.fails(R"({"op":"networking"})", error_code::bad_request) == one);
  CHECK(h.fails(R"({"op":"networking","stop":false})", error_code::bad_request) == one);
  CHECK(h.fails(R"({"op":"networking","stop":true,"opt_out":true})", error_code::bad_request) ==
        one);
  CHECK(h.fails(R"({"op":"networking","size":2,"minutes":5,"stop":true})",
                error_code::bad_request) == one);
  CHECK(h.fails(R"({"op":"networking","rounds":2,"opt_out":false})", error_code::bad_request) ==
        one);
  CHECK(h.fails(R"({"op":"networking","size":2})", error_code::bad_request) ==
        "networking: missing field 'minutes'");
  CHECK(h.fails(R"({"op":"networking","minutes":2})", error_code::bad_request) ==
        "networking: missing field 'size'");
  CHECK(h.fails(R"({"op":"networking","size":1,"minutes":5})", error_code::bad_request) ==
        "networking: 'size' must be an integer from 2 to 4");
  h.fails(R"({"op":"networking","size":5,"minutes":5})", error_code::bad_request);
  h.fails(R"({"op":"networking","size":2.5,"minutes":5})", error_code::bad_request);
  h.fails(R"({"op":"networking","size":"3","minutes":5})", error_code::bad_request);
  CHECK(h.fails(R"({"op":"networking","size":2,"minutes":0})", error_code::bad_request) ==
        "networking: 'minutes' must be an integer from 1 to 30");
  h.fails(R"({"op":"networking","size":2,"minutes":31})", error_code::bad_request);
  h.fails(R"({"op":"networking","size":2,"minutes":-1})", error_code::bad_request);
  h.fails(R"({"op":"networking","size":2,"minutes":99999999999999999999})",
          error_code::bad_request);
  CHECK(h.fails(R"({"op":"networking","size":2,"minutes":5,"rounds":0})",
                error_code::bad_request) == "networking: 'rounds' must be an integer from 1 to 10");
  h.fails(R"({"op":"networking","size":2,"minutes":5,"rounds":11})", error_code::bad_request);
  h.fails(R"({"op":"networking","stop":"yes"})", error_code::bad_request);
  h.fails(R"({"op":"networking","opt_out":1})", error_code::bad_request);
}
