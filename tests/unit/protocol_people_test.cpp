// Unit tests of what `hello` says of a participant (stakeholder, expertise)
// and of the `role` op's parsing: trimmed one-line labels within their
// limits, null or "" taking a role back, and each kind of bad input's error.
// Whether a group or a role is one of the event's is the server's to check.
#include "tests/unit/parse_harness.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace roundtable::protocol;
using roundtable::protocol::test::harness;

TEST_CASE("hello: stakeholder and expertise, trimmed and bounded", "[people]") {
  harness h;
  auto const& plain = h.parsed<hello>(R"({"op":"hello","name":"Ann"})");
  CHECK(plain.stakeholder.empty());
  CHECK(plain.expertise.empty());
  auto const& said = h.parsed<hello>(
      R"({"op":"hello","name":"Ann","stakeholder":" researcher ","expertise":"  water law  "})");
  CHECK(said.stakeholder == "researcher");
  CHECK(said.expertise == "water law");
  std::string const full(limits::expertise, 'e');
  CHECK(h.parsed<hello>(R"({"op":"hello","name":"A","expertise":")" + full + "\"}").expertise ==
        full);
  CHECK(h.fails(R"({"op":"hello","name":"A","expertise":")" + full + "e\"}",
                error_code::too_large) == "hello: 'expertise' is over 200 bytes");
  CHECK(h.fails(R"({"op":"hello","name":"A","expertise":"two\nlines"})", error_code::bad_request) ==
        "hello: 'expertise' must not contain control characters");
  CHECK(h.fails(R"({"op":"hello","name":"A","stakeholder":7})", error_code::bad_request) ==
        "hello: 'stakeholder' must be a string");
  h.fails(R"({"op":"hello","name":"A","stakeholder":")" + std::string(65, 's') + "\"}",
          error_code::too_large);
}

TEST_CASE("role: given, taken back with null or empty, optional table", "[people]") {
  harness h;
  auto const& given =
      h.parsed<give_role>(R"({"op":"role","participant":"p-1","role":" rapporteur "})");
  CHECK(given.participant == "p-1");
  CHECK(given.role == "rapporteur");
  CHECK(given.table.empty());
  CHECK(
      h.parsed<give_role>(R"({"op":"role","participant":"p-1","role":null,"table":"t1"})").table ==
      "t1");
  CHECK(h.parsed<give_role>(R"({"op":"role","participant":"p-1","role":null})").role.empty());
  CHECK(h.parsed<give_role>(R"({"op":"role","participant":"p-1","role":""})").role.empty());
  CHECK(h.parsed<give_role>(R"({"op":"role","participant":"p-1"})").role.empty());
  CHECK(op_name(h.cmd.op) == "role");
}

TEST_CASE("role: bad input is refused with a clear message", "[people]") {
  harness h;
  CHECK(h.fails(R"({"op":"role","role":"rapporteur"})", error_code::bad_request) ==
        "role: missing field 'participant'");
  CHECK(h.fails(R"({"op":"role","participant":"a b","role":"x"})", error_code::bad_request) ==
        "role: 'participant' must be an id: 1 to 64 of A-Z a-z 0-9 _ . : -");
  CHECK(h.fails(R"({"op":"role","participant":"p","role":7})", error_code::bad_request) ==
        "role: 'role' must be a string");
  CHECK(h.fails(R"({"op":"role","participant":"p","role":")" + std::string(65, 'r') + "\"}",
                error_code::too_large) == "role: 'role' is over 64 bytes");
  CHECK(h.fails(R"({"op":"role","participant":"p","role":"a\tb"})", error_code::bad_request) ==
        "role: 'role' must not contain control characters");
  h.fails(R"({"op":"role","participant":"p","role":"x","table":"no table"})",
          error_code::bad_request);
}
