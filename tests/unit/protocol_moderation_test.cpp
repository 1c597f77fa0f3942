// Unit tests of the moderation ops' parsing: hide, restore, mute and remove,
// each with its fields, defaults and every kind of bad field.
#include "tests/unit/parse_harness.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace roundtable::protocol;
using roundtable::protocol::test::harness;

TEST_CASE("hide and restore: an item, and a room that defaults to the sender's table") {
  harness h;
  REQUIRE(h.parse(R"({"op":"hide","item":"m12"})"));
  REQUIRE(std::holds_alternative<hide>(h.cmd.op));
  CHECK(std::get<hide>(h.cmd.op).item == "m12");
  CHECK(std::get<hide>(h.cmd.op).room.empty());
  REQUIRE(h.parse(R"({"op":"restore","item":"i3","room":"synergies"})"));
  REQUIRE(std::holds_alternative<restore>(h.cmd.op));
  CHECK(std::get<restore>(h.cmd.op).item == "i3");
  CHECK(std::get<restore>(h.cmd.op).room == "synergies");
  for (std::string op : {"hide", "restore"}) {
    auto const head = R"({"op":")" + op + "\"";
    CHECK(h.fails(head + "}", error_code::bad_request) == op + ": missing field 'item'");
    h.fails(head + R"(,"item":3})", error_code::bad_request);
    h.fails(head + R"(,"item":"a b"})", error_code::bad_request);
    h.fails(head + R"(,"item":"m1","room":true})", error_code::bad_request);
    h.fails(head + R"(,"item":")" + std::string(65, 'm') + "\"}", error_code::too_large);
  }
}

TEST_CASE("mute and remove: a participant, on (default true) and a reason") {
  harness h;
  REQUIRE(h.parse(R"({"op":"mute","participant":"p1"})"));
  auto const& m = std::get<mute>(h.cmd.op);
  CHECK(m.participant == "p1");
  CHECK(m.on);
  CHECK(m.reason.empty());
  CHECK(m.table.empty());
  REQUIRE(h.parse(R"({"op":"remove","participant":"p2","on":false,"reason":"  Insults ",)"
                  R"("table":"t1"})"));
  REQUIRE(std::holds_alternative<remove_from_table>(h.cmd.op));
  auto const& r = std::get<remove_from_table>(h.cmd.op);
  CHECK(r.participant == "p2");
  CHECK_FALSE(r.on);
  CHECK(r.reason == "Insults");  // a one-line label: trimmed
  CHECK(r.table == "t1");
  for (std::string op : {"mute", "remove"}) {
    auto const head = R"({"op":")" + op + "\"";
    CHECK(h.fails(head + "}", error_code::bad_request) == op + ": missing field 'participant'");
    h.fails(head + R"(,"participant":"p1","on":1})", error_code::bad_request);
    h.fails(head + R"(,"participant":"p1","reason":5})", error_code::bad_request);
    h.fails(head + R"(,"participant":"p1","reason":"a\nb"})", error_code::bad_request);
    h.fails(head + R"(,"participant":"p1","reason":")" + std::string(301, 'r') + "\"}",
            error_code::too_large);
    h.fails(head + R"(,"participant":"p1","table":"no table"})", error_code::bad_request);
    REQUIRE(h.parse(head + R"(,"participant":"p1","reason":")" + std::string(300, 'r') + "\"}"));
  }
}

TEST_CASE("moderation switches pre-moderation; approve and reject name a held item") {
  harness h;
  REQUIRE(h.parse(R"({"op":"moderation","table":"t1","premoderate":true})"));
  CHECK(std::get<moderation>(h.cmd.op).table == "t1");
  CHECK(std::get<moderation>(h.cmd.op).premoderate);
  CHECK(h.fails(R"({"op":"moderation","table":"t1"})", error_code::bad_request) ==
        "moderation: missing field 'premoderate'");
  h.fails(R"({"op":"moderation","premoderate":false})", error_code::bad_request);
  h.fails(R"({"op":"moderation","table":"t1","premoderate":"yes"})", error_code::bad_request);
  REQUIRE(h.parse(R"({"op":"approve","item":"h7"})"));
  CHECK(std::get<approve>(h.cmd.op).item == "h7");
  REQUIRE(h.parse(R"({"op":"reject","item":"h7","room":"t1"})"));
  CHECK(std::get<reject>(h.cmd.op).room == "t1");
  h.fails(R"({"op":"reject"})", error_code::bad_request);
  h.fails(R"({"op":"approve","item":"a b"})", error_code::bad_request);
}
