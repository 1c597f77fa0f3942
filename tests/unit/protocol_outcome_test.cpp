// Unit tests of the `outcome` op's parsing: every status, the note and its
// limit, `into` only with `merged` and never the insight itself, the optional
// table, and the error code and message of each kind of bad input.
#include "tests/unit/parse_harness.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace roundtable::protocol;
using roundtable::protocol::test::harness;

TEST_CASE("outcome parses every status, with or without a note and a table", "[outcome]") {
  harness h;
  for (auto const status : outcome_statuses) {
    INFO(status);
    std::string const into = status == "merged" ? R"(,"into":"i2")" : "";
    auto const& c = h.parsed<outcome>(R"({"op":"outcome","insight":"i1","status":")" +
                                      std::string(status) + "\"" + into + "}");
    CHECK(c.insight == "i1");
    CHECK(c.status == status);
    CHECK(c.note.empty());
    CHECK(c.table.empty());
    CHECK(c.into == (status == "merged" ? "i2" : ""));
  }
  auto const& c = h.parsed<outcome>(
      R"({"op":"outcome","table":"t1","insight":"i1","status":"noted","note":"Seen.\nThanks <b>"})");
  CHECK(c.table == "t1");
  CHECK(c.note == "Seen.\nThanks <b>");
  CHECK(h.parsed<outcome>(R"({"op":"outcome","insight":"i1","status":"open","note":null})")
            .note.empty());
}

TEST_CASE("outcome: the note holds up to 1000 bytes", "[outcome][limits]") {
  harness h;
  std::string const at_limit(limits::note, 'n');
  CHECK(h.parsed<outcome>(R"({"op":"outcome","insight":"i1","status":"noted","note":")" + at_limit +
                          "\"}")
            .note.size() == limits::note);
  auto const m =
      h.fails(R"({"op":"outcome","insight":"i1","status":"noted","note":")" + at_limit + "n\"}",
              error_code::too_large);
  CHECK(m == "outcome: 'note' is over 1000 bytes");
}

TEST_CASE("outcome: bad input is refused with a clear message", "[outcome]") {
  harness h;
  CHECK(h.fails(R"({"op":"outcome","insight":"i1","status":"done"})", error_code::bad_request) ==
        "outcome: 'status' must be one of open, taken_up, noted, merged, out_of_scope");
  CHECK(h.fails(R"({"op":"outcome","insight":"i1"})", error_code::bad_request) ==
        "outcome: missing field 'status'");
  CHECK(h.fails(R"({"op":"outcome","status":"noted"})", error_code::bad_request) ==
        "outcome: missing field 'insight'");
  CHECK(h.fails(R"({"op":"outcome","insight":"i1","status":3})", error_code::bad_request) ==
        "outcome: 'status' must be a string");
  CHECK(h.fails(R"({"op":"outcome","insight":"i1","status":"merged"})", error_code::bad_request) ==
        "outcome: 'merged' needs 'into', the insight it joins");
  CHECK(h.fails(R"({"op":"outcome","insight":"i1","status":"noted","into":"i2"})",
                error_code::bad_request) == "outcome: 'into' goes only with status 'merged'");
  CHECK(h.fails(R"({"op":"outcome","insight":"i1","status":"merged","into":"i1"})",
                error_code::bad_request) == "outcome: an insight cannot be merged into itself");
  CHECK(h.fails(R"({"op":"outcome","insight":"i 1","status":"noted"})", error_code::bad_request)
            .starts_with("outcome: 'insight' must be an id"));
  CHECK(h.fails(R"({"op":"outcome","insight":"i1","status":"noted","note":"a\u0001"})",
                error_code::bad_request)
            .starts_with("outcome: 'note' must not contain control characters"));
  CHECK(h.fails(R"({"op":"outcome","insight":"i1","status":"noted","note":5})",
                error_code::bad_request) == "outcome: 'note' must be a string");
}

TEST_CASE("outcome's fields parse alone, as the admin API sends them", "[outcome]") {
  harness h;
  REQUIRE(h.p.parse_fields("outcome", R"({"table":"t1","insight":"i1","status":"taken_up"})", h.cmd,
                           h.err));
  CHECK(std::get<outcome>(h.cmd.op).status == "taken_up");
  CHECK_FALSE(
      h.p.parse_fields("outcome", R"({"table":"t1","insight":"i1","status":"x"})", h.cmd, h.err));
  CHECK(to_string(h.err.code) == "bad_request");
}
