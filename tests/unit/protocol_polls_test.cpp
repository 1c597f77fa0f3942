// Unit tests of the poll and reaction ops' parsing: poll, poll_vote,
// poll_close and react, each with its fields, defaults and every kind of bad
// field (the shape only: whether a choice fits the poll is the room's check).
#include "tests/unit/parse_harness.hpp"

#include "protocol/command.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace roundtable::protocol;
using roundtable::protocol::test::harness;

namespace {

std::string poll_with(std::string const& options, std::string const& more = {}) {
  return R"({"op":"poll","room":"plenary","question":" Which? ","options":)" + options + more + "}";
}

}  // namespace

TEST_CASE("poll: a question, 2 to 10 trimmed options, single choice and live by default") {
  harness h;
  auto const& p = h.parsed<poll>(poll_with(R"([" Data ","Skills"])"));
  CHECK(p.room == "plenary");
  CHECK(p.question == "Which?");
  CHECK(p.options == std::vector<std::string>{"Data", "Skills"});
  CHECK_FALSE(p.multiple);
  CHECK(p.live);
  auto const& q = h.parsed<poll>(poll_with(R"(["a","b"])", R"(,"multiple":true,"live":false)"));
  CHECK(q.multiple);
  CHECK_FALSE(q.live);
  CHECK(h.parsed<poll>(poll_with(R"(["1","2","3","4","5","6","7","8","9","10"])")).options.size() ==
        10);

  CHECK(h.fails(poll_with(R"(["a"])"), error_code::bad_request) ==
        "poll: 'options' must be an array of 2 to 10 strings");
  h.fails(poll_with(R"(["1","2","3","4","5","6","7","8","9","10","11"])"), error_code::bad_request);
  h.fails(poll_with(R"("a,b")"), error_code::bad_request);
  h.fails(poll_with(R"(["a",["b"]])"), error_code::bad_request);
  h.fails(poll_with(R"(["a",null])"), error_code::bad_request);
  CHECK(h.fails(poll_with(R"(["a"," a"])"), error_code::bad_request) ==
        "poll: 'options' has the same option twice");
  CHECK(h.fails(poll_with(R"(["a"," "])"), error_code::bad_request) ==
        "poll: 'options' has an empty option");
  h.fails(poll_with(R"(["a","b\nc"])"), error_code::bad_request);
  CHECK(h.fails(poll_with(R"(["a",")" + std::string(101, 'x') + "\"]"), error_code::too_large) ==
        "poll: 'options' has an option over 100 bytes");
  h.fails(R"({"op":"poll","room":"plenary","question":"Q"})", error_code::bad_request);
  h.fails(R"({"op":"poll","question":"Q","options":["a","b"]})", error_code::bad_request);
  h.fails(R"({"op":"poll","room":"plenary","options":["a","b"]})", error_code::bad_request);
  h.fails(R"({"op":"poll","room":"plenary","question":")" + std::string(301, 'q') +
              R"(","options":["a","b"]})",
          error_code::too_large);
  h.fails(poll_with(R"(["a","b"])", R"(,"multiple":"yes")"), error_code::bad_request);
}

TEST_CASE("poll_vote: distinct option indexes, a room that defaults to the sender's") {
  harness h;
  auto const& v = h.parsed<poll_vote>(R"({"op":"poll_vote","poll":"q1","choices":[2,0]})");
  CHECK(v.poll == "q1");
  CHECK(v.room.empty());
  CHECK(v.choices == std::vector<std::int64_t>{2, 0});
  CHECK(h.parsed<poll_vote>(R"({"op":"poll_vote","poll":"q1","room":"t1","choices":[9]})").room ==
        "t1");
  for (auto const* bad : {"[]", "[10]", "[-1]", "[1,1]", "[1.0]", "[\"1\"]", "1", "null",
                          "[0,1,2,3,4,5,6,7,8,9,0]"}) {
    h.fails(std::string(R"({"op":"poll_vote","poll":"q1","choices":)") + bad + "}",
            error_code::bad_request);
  }
  h.fails(R"({"op":"poll_vote","choices":[0]})", error_code::bad_request);
  h.fails(R"({"op":"poll_vote","poll":"bad id","choices":[0]})", error_code::bad_request);
}

TEST_CASE("poll_close and react") {
  harness h;
  CHECK(h.parsed<poll_close>(R"({"op":"poll_close","poll":"q1"})").poll == "q1");
  h.fails(R"({"op":"poll_close"})", error_code::bad_request);
  for (auto const e : reaction_emojis) {
    auto const& r =
        h.parsed<react>(R"({"op":"react","item":"m1","emoji":")" + std::string(e) + "\"}");
    CHECK(r.emoji == e);
    CHECK(r.item == "m1");
  }
  // The heart without its variation selector is not one of the six.
  h.fails(R"({"op":"react","item":"m1","emoji":"\u2764"})", error_code::bad_request);
  h.fails(R"({"op":"react","item":"m1","emoji":"+1"})", error_code::bad_request);
  h.fails(R"({"op":"react","item":"m1"})", error_code::bad_request);
  h.fails(R"({"op":"react","emoji":"\u2753"})", error_code::bad_request);
}
