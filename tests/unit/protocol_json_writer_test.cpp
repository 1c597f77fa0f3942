// Unit tests of protocol::json_writer and append_json_string: commas and nesting,
// escaping, UTF-8 repair, numbers at their extremes, and that every output is
// JSON that simdjson reads back to the same values.
#include "protocol/json_writer.hpp"

#include <simdjson.h>
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>

using roundtable::protocol::append_json_string;
using roundtable::protocol::blank_participant_name;
using roundtable::protocol::json_writer;
using roundtable::protocol::valid_utf8;

namespace {

std::string escaped(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

// Reads a JSON string literal back with simdjson.
std::string read_back(std::string const& json_string) {
  simdjson::dom::parser p;
  auto const doc = p.parse(json_string);
  REQUIRE(doc.error() == simdjson::SUCCESS);
  std::string_view s;
  REQUIRE(doc.get_string().get(s) == simdjson::SUCCESS);
  return std::string(s);
}

}  // namespace

TEST_CASE("objects and arrays get their commas") {
  json_writer w;
  w.begin_object()
      .field("type", "reply")
      .field("rid", 7)
      .field("ok", true)
      .key("list")
      .begin_array()
      .value(1)
      .value("two")
      .null()
      .begin_object()
      .end_object()
      .begin_array()
      .end_array()
      .end_array()
      .key("nested")
      .begin_object()
      .field("a", false)
      .end_object()
      .end_object();
  CHECK(w.complete());
  CHECK(w.str() ==
        R"({"type":"reply","rid":7,"ok":true,"list":[1,"two",null,{},[]],"nested":{"a":false}})");
}

TEST_CASE("complete is false while a container is open") {
  json_writer w;
  CHECK(w.complete());
  w.begin_object();
  CHECK_FALSE(w.complete());
  w.key("a").begin_array();
  CHECK_FALSE(w.complete());
  w.end_array().end_object();
  CHECK(w.complete());
}

TEST_CASE("raw inserts serialized JSON as a value") {
  json_writer w;
  w.begin_object().key("rid").raw("\"abc\"").key("snapshot").raw(R"({"seq":3})").end_object();
  CHECK(w.str() == R"({"rid":"abc","snapshot":{"seq":3}})");
  json_writer a;
  a.begin_array().raw("1").raw("2").end_array();
  CHECK(a.str() == "[1,2]");
}

TEST_CASE("numbers at their extremes") {
  json_writer w;
  w.begin_array()
      .value(std::numeric_limits<std::int64_t>::min())
      .value(std::numeric_limits<std::int64_t>::max())
      .value(std::numeric_limits<std::uint64_t>::max())
      .value(0)
      .value(-1)
      .end_array();
  CHECK(w.str() == "[-9223372036854775808,9223372036854775807,18446744073709551615,0,-1]");
}

TEST_CASE("release hands over the text") {
  json_writer w;
  w.begin_object().field("k", "v").end_object();
  auto const s = w.release();
  CHECK(s == R"({"k":"v"})");
}

TEST_CASE("strings are escaped") {
  CHECK(escaped("plain") == "\"plain\"");
  CHECK(escaped("") == "\"\"");
  CHECK(escaped("a\"b\\c") == R"("a\"b\\c")");
  CHECK(escaped("\n\r\t\b\f") == R"("\n\r\t\b\f")");
  CHECK(escaped(std::string_view("\x00\x01\x1f", 3)) == R"("\u0000\u0001\u001f")");
  CHECK(escaped("\x7f") == "\"\x7f\"");  // DEL is legal in JSON strings
  CHECK(escaped("/") == "\"/\"");
  // Keys go through the same escaping.
  json_writer w;
  w.begin_object().field("a\"b", "x").end_object();
  CHECK(w.str() == R"({"a\"b":"x"})");
}

TEST_CASE("valid UTF-8 passes through untouched") {
  std::string const s = "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xEF\xBF\xBF";
  CHECK(valid_utf8(s));
  CHECK(escaped(s) == "\"" + s + "\"");
}

TEST_CASE("invalid UTF-8 is replaced by U+FFFD") {
  std::string const fffd = "\xEF\xBF\xBD";
  struct bad_case {
    std::string in;
    std::string out;
  };
  for (auto const& c : {
           bad_case{"a\xFF"
                    "b",
                    "a" + fffd + "b"},
           bad_case{"\xC3", fffd},                                   // truncated
           bad_case{"\xC3\x28", fffd + "("},                         // bad continuation
           bad_case{"\xC0\xAF", fffd + fffd},                        // overlong 2-byte
           bad_case{"\xE0\x80\xAF", fffd + fffd + fffd},             // overlong 3-byte
           bad_case{"\xED\xA0\x80", fffd + fffd + fffd},             // surrogate
           bad_case{"\xF4\x90\x80\x80", fffd + fffd + fffd + fffd},  // above U+10FFFF
           bad_case{"\x80ok\xC3\xA9", fffd + "ok\xC3\xA9"},          // valid after invalid
       }) {
    INFO(c.in);
    CHECK_FALSE(valid_utf8(c.in));
    auto const out = escaped(c.in);
    CHECK(out == "\"" + c.out + "\"");
    CHECK(valid_utf8(out));
  }
}

TEST_CASE("every byte string round-trips through simdjson when valid") {
  // All single bytes and all two-byte prefixes of interest: the output is always
  // valid JSON, and valid UTF-8 input reads back unchanged.
  for (int b = 0; b < 256; ++b) {
    std::string const in(1, static_cast<char>(b));
    auto const out = escaped(in);
    INFO(b);
    REQUIRE(valid_utf8(out));
    auto const back = read_back(out);
    if (valid_utf8(in)) {
      CHECK(back == in);
    } else {
      CHECK(back == "\xEF\xBF\xBD");
    }
  }
  std::string const mixed = std::string("x\x00y", 3) + "\"\\\n\xE2\x80\xA8 \xF0\x9F\x8C\x8D";
  CHECK(read_back(escaped(mixed)) == mixed);
}

TEST_CASE("a whole message reads back with simdjson") {
  json_writer w;
  w.begin_object()
      .field("type", "message")
      .field("room", "plenary")
      .field("seq", std::uint64_t{42})
      .field("text", std::string_view("line1\nline2 \"quoted\" \xFF"))
      .end_object();
  simdjson::dom::parser p;
  simdjson::dom::element doc;
  REQUIRE(p.parse(w.str()).get(doc) == simdjson::SUCCESS);
  CHECK(std::string_view(doc["type"]) == "message");
  CHECK(std::uint64_t(doc["seq"]) == 42);
  CHECK(std::string_view(doc["text"]) == "line1\nline2 \"quoted\" \xEF\xBF\xBD");
}

TEST_CASE("blank_participant_name empties one participant's name and nothing else") {
  json_writer w;
  w.begin_object().field("type", "hands").key("queue").begin_array();
  for (auto const* id : {"zed", "bob", "zed2"})
    w.begin_object().field("id", id).field("name", std::string(id) + " \"the\" name").end_object();
  w.end_array().key("speaker").begin_object().field("id", "zed").field("name", "Zed");
  w.field("role", "participant").end_object().end_object();
  auto json = w.release();
  REQUIRE(blank_participant_name(json, "zed"));
  simdjson::dom::parser p;
  simdjson::dom::element doc;
  REQUIRE(p.parse(json).get(doc) == simdjson::SUCCESS);
  CHECK(std::string_view(doc.at_pointer("/queue/0/name")) == "");
  CHECK(std::string_view(doc.at_pointer("/queue/1/name")) == "bob \"the\" name");
  CHECK(std::string_view(doc.at_pointer("/queue/2/name")) == "zed2 \"the\" name");
  CHECK(std::string_view(doc.at_pointer("/speaker/name")) == "");
  CHECK(std::string_view(doc.at_pointer("/speaker/role")) == "participant");
  CHECK_FALSE(blank_participant_name(json, "zed"));  // nothing left to change
  CHECK_FALSE(blank_participant_name(json, "nobody"));
}
