// Unit tests of the hosts' ops' parsing: move (by id or by name), recall (in
// minutes or seconds, or called off) and the `anonymous` flag of say and
// insight, each with its defaults and every kind of bad field.
#include "tests/unit/parse_harness.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace roundtable::protocol;
using roundtable::protocol::test::harness;

TEST_CASE("move: a participant by id or by name, and a table") {
  harness h;
  REQUIRE(h.parse(R"({"op":"move","participant":"p-1","table":"synergies"})"));
  REQUIRE(std::holds_alternative<move>(h.cmd.op));
  CHECK(std::get<move>(h.cmd.op).participant == "p-1");
  CHECK(std::get<move>(h.cmd.op).name.empty());
  CHECK(std::get<move>(h.cmd.op).table == "synergies");
  REQUIRE(h.parse("{\"op\":\"move\",\"name\":\" Ada Lovelace\\u00a0\",\"table\":\"t\"}"));
  CHECK(std::get<move>(h.cmd.op).name == "Ada Lovelace");  // trimmed like a hello name
  CHECK(std::get<move>(h.cmd.op).participant.empty());

  CHECK(h.fails(R"({"op":"move","table":"t"})", error_code::bad_request) ==
        "move: give one of 'participant' or 'name'");
  h.fails(R"({"op":"move","participant":"p","name":"Ada","table":"t"})", error_code::bad_request);
  CHECK(h.fails(R"({"op":"move","participant":"p"})", error_code::bad_request) ==
        "move: missing field 'table'");
  h.fails(R"({"op":"move","participant":"bad id","table":"t"})", error_code::bad_request);
  h.fails(R"({"op":"move","participant":"p","table":7})", error_code::bad_request);
  h.fails(R"({"op":"move","name":"  ","table":"t"})", error_code::bad_request);
  h.fails(R"({"op":"move","name":"a\u0007b","table":"t"})", error_code::bad_request);
  h.fails(R"({"op":"move","name":")" + std::string(65, 'x') + R"(","table":"t"})",
          error_code::too_large);
  h.fails(R"({"op":"move","participant":null,"name":null,"table":"t"})", error_code::bad_request);
}

TEST_CASE("recall: minutes, seconds or cancel, exactly one") {
  harness h;
  REQUIRE(h.parse(R"({"op":"recall","minutes":5})"));
  CHECK(std::get<recall>(h.cmd.op).seconds == 300);
  CHECK_FALSE(std::get<recall>(h.cmd.op).cancel);
  REQUIRE(h.parse(R"({"op":"recall","minutes":0})"));
  CHECK(std::get<recall>(h.cmd.op).seconds == 0);
  REQUIRE(h.parse(R"({"op":"recall","seconds":90,"cancel":false})"));
  CHECK(std::get<recall>(h.cmd.op).seconds == 90);
  REQUIRE(h.parse(R"({"op":"recall","cancel":true,"minutes":null})"));
  CHECK(std::get<recall>(h.cmd.op).cancel);
  REQUIRE(h.parse(R"({"op":"recall","minutes":120})"));
  REQUIRE(h.parse(R"({"op":"recall","seconds":7200})"));

  CHECK(h.fails(R"({"op":"recall"})", error_code::bad_request) ==
        "recall: give one of 'minutes', 'seconds' or 'cancel': true");
  h.fails(R"({"op":"recall","cancel":false})", error_code::bad_request);
  h.fails(R"({"op":"recall","minutes":1,"seconds":60})", error_code::bad_request);
  h.fails(R"({"op":"recall","minutes":1,"cancel":true})", error_code::bad_request);
  h.fails(R"({"op":"recall","minutes":121})", error_code::bad_request);
  h.fails(R"({"op":"recall","seconds":7201})", error_code::bad_request);
  h.fails(R"({"op":"recall","minutes":-1})", error_code::bad_request);
  h.fails(R"({"op":"recall","minutes":1.5})", error_code::bad_request);
  h.fails(R"({"op":"recall","minutes":"5"})", error_code::bad_request);
  h.fails(R"({"op":"recall","cancel":"yes"})", error_code::bad_request);
}

TEST_CASE("say and insight take an optional anonymous flag") {
  harness h;
  REQUIRE(h.parse(R"({"op":"say","room":"t","text":"x"})"));
  CHECK_FALSE(std::get<say>(h.cmd.op).anonymous);
  REQUIRE(h.parse(R"({"op":"say","room":"t","text":"x","anonymous":true})"));
  CHECK(std::get<say>(h.cmd.op).anonymous);
  REQUIRE(h.parse(R"({"op":"insight","text":"x","anonymous":true})"));
  CHECK(std::get<insight>(h.cmd.op).anonymous);
  REQUIRE(h.parse(R"({"op":"insight","text":"x","anonymous":null})"));
  CHECK_FALSE(std::get<insight>(h.cmd.op).anonymous);
  CHECK(h.fails(R"({"op":"say","room":"t","text":"x","anonymous":1})", error_code::bad_request) ==
        "say: 'anonymous' must be a boolean");
  h.fails(R"({"op":"insight","text":"x","anonymous":"true"})", error_code::bad_request);
}
