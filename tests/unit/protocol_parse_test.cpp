// Unit tests of protocol::parser: every op with its fields, the error code and
// message for each kind of bad input, rid echoing, limits at and past their edge,
// and the parser's reuse across messages.
#include "tests/unit/parse_harness.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace roundtable::protocol;
using roundtable::protocol::test::harness;

namespace {

std::string quoted(std::string const& s) {
  return "\"" + s + "\"";
}

}  // namespace

TEST_CASE("every op parses with its fields") {
  harness h;

  SECTION("hello") {
    REQUIRE(h.parse(
        R"({"op":"hello","name":"Ada","token":"a.b.c","resume":{"plenary":{"epoch":2,"seq":41},"t1":{"seq":3,"epoch":1}}})"));
    auto const& c = h.as<hello>();
    CHECK(c.name == "Ada");
    CHECK(c.token == "a.b.c");
    REQUIRE(c.has_resume);
    REQUIRE(c.resume.size() == 2);
    CHECK(c.resume[0].room == "plenary");
    CHECK(c.resume[0].epoch == 2);
    CHECK(c.resume[0].seq == 41);
    CHECK(c.resume[1].room == "t1");
    CHECK(c.resume[1].epoch == 1);
    CHECK(c.resume[1].seq == 3);
    CHECK(op_name(h.cmd.op) == "hello");
  }
  SECTION("hello without token or resume") {
    REQUIRE(h.parse(R"({"op":"hello","name":"Ada"})"));
    CHECK(h.as<hello>().token.empty());
    CHECK_FALSE(h.as<hello>().has_resume);
    CHECK(h.as<hello>().resume.empty());
  }
  SECTION("hello with null token and resume counts as absent") {
    REQUIRE(h.parse(R"({"op":"hello","name":"Ada","token":null,"resume":null})"));
    CHECK(h.as<hello>().token.empty());
    CHECK_FALSE(h.as<hello>().has_resume);
  }
  SECTION("hello with an empty resume object") {
    REQUIRE(h.parse(R"({"op":"hello","name":"Ada","resume":{}})"));
    CHECK(h.as<hello>().has_resume);
    CHECK(h.as<hello>().resume.empty());
  }
  SECTION("join") {
    REQUIRE(h.parse(R"({"op":"join","table":"big-data"})"));
    CHECK(h.as<join>().table == "big-data");
  }
  SECTION("leave") {
    REQUIRE(h.parse(R"({"op":"leave"})"));
    CHECK(std::holds_alternative<leave>(h.cmd.op));
  }
  SECTION("say") {
    REQUIRE(h.parse(R"({"op":"say","room":"plenary","text":"hello\nall\t!"})"));
    CHECK(h.as<say>().room == "plenary");
    CHECK(h.as<say>().text == "hello\nall\t!");
  }
  SECTION("hand") {
    REQUIRE(h.parse(R"({"op":"hand","up":true})"));
    CHECK(h.as<hand>().up);
    REQUIRE(h.parse(R"({"op":"hand","up":false})"));
    CHECK_FALSE(h.as<hand>().up);
    CHECK(h.as<hand>().participant.empty());
    REQUIRE(h.parse(R"({"op":"hand","up":false,"participant":"p-1"})"));
    CHECK(h.as<hand>().participant == "p-1");
  }
  SECTION("speaker") {
    REQUIRE(h.parse(R"({"op":"speaker","room":"t1","action":"next"})"));
    CHECK(h.as<speaker>().room == "t1");
    CHECK(h.as<speaker>().what == speaker::action::next);
    REQUIRE(h.parse(R"({"op":"speaker","room":"t1","action":"clear"})"));
    CHECK(h.as<speaker>().what == speaker::action::clear);
    REQUIRE(h.parse(R"({"op":"speaker","room":"t1","action":"end"})"));
    CHECK(h.as<speaker>().what == speaker::action::end);
    REQUIRE(h.parse(R"({"op":"speaker","room":"t1","participant":"p-1"})"));
    CHECK(h.as<speaker>().what == speaker::action::next);
    CHECK(h.as<speaker>().participant == "p-1");
  }
  SECTION("insight") {
    REQUIRE(h.parse(R"({"op":"insight","text":"Open data needs stewards"})"));
    CHECK(h.as<insight>().text == "Open data needs stewards");
  }
  SECTION("vote") {
    REQUIRE(h.parse(R"({"op":"vote","insight":"i-17"})"));
    CHECK(h.as<vote>().insight == "i-17");
  }
  SECTION("delete") {
    REQUIRE(h.parse(R"({"op":"delete","room":"t1","message":"m:42"})"));
    CHECK(h.as<del>().room == "t1");
    CHECK(h.as<del>().message == "m:42");
    CHECK(h.as<del>().insight.empty());
    CHECK(op_name(h.cmd.op) == "delete");
    REQUIRE(h.parse(R"({"op":"delete","room":"t1","insight":"i3"})"));
    CHECK(h.as<del>().insight == "i3");
    CHECK(h.as<del>().message.empty());
  }
  SECTION("timer") {
    REQUIRE(h.parse(R"({"op":"timer","room":"t1","seconds":300})"));
    CHECK(h.as<timer>().room == "t1");
    CHECK(h.as<timer>().seconds == 300);
    CHECK(h.as<timer>().what == timer::action::set);
    REQUIRE(h.parse(R"({"op":"timer","room":"t1","pause":true})"));
    CHECK(h.as<timer>().what == timer::action::pause);
    REQUIRE(h.parse(R"({"op":"timer","room":"t1","pause":false,"seconds":null})"));
    CHECK(h.as<timer>().what == timer::action::resume);
    REQUIRE(h.parse(R"({"op":"timer","room":"t1","extend":90})"));
    CHECK(h.as<timer>().what == timer::action::extend);
    CHECK(h.as<timer>().seconds == 90);
  }
  SECTION("summary") {
    REQUIRE(h.parse(R"({"op":"summary","table":"t1","text":"We agreed.","publish":true})"));
    CHECK(h.as<summary>().table == "t1");
    CHECK(h.as<summary>().text == "We agreed.");
    CHECK(h.as<summary>().publish);
  }
  SECTION("summary defaults: no table, draft, empty text allowed") {
    REQUIRE(h.parse(R"({"op":"summary","text":""})"));
    CHECK(h.as<summary>().table.empty());
    CHECK(h.as<summary>().text.empty());
    CHECK_FALSE(h.as<summary>().publish);
  }
  SECTION("broadcast") {
    REQUIRE(h.parse(R"({"op":"broadcast","text":"Coffee break"})"));
    CHECK(h.as<broadcast>().text == "Coffee break");
  }
  SECTION("phase") {
    REQUIRE(h.parse(R"({"op":"phase","name":"roundtables"})"));
    CHECK(h.as<phase>().name == "roundtables");
  }
  SECTION("table") {
    REQUIRE(h.parse(R"({"op":"table","table":"t1","open":false})"));
    CHECK(h.as<table>().table == "t1");
    CHECK_FALSE(h.as<table>().open);
    REQUIRE(h.parse(R"({"op":"table","table":"t1","open":true})"));
    CHECK(h.as<table>().open);
  }
  SECTION("create_table") {
    REQUIRE(h.parse(
        R"({"op":"create_table","table":"t4","topic":"Inclusiveness","moderator":"Grace","capacity":12})"));
    auto const& c = h.as<create_table>();
    CHECK(c.table == "t4");
    CHECK(c.topic == "Inclusiveness");
    CHECK(c.moderator == "Grace");
    CHECK(c.capacity == 12);
  }
  SECTION("create_table defaults") {
    REQUIRE(h.parse(R"({"op":"create_table","table":"t4","topic":"Inclusiveness"})"));
    CHECK(h.as<create_table>().moderator.empty());
    CHECK(h.as<create_table>().capacity == 0);
  }
  SECTION("ping") {
    REQUIRE(h.parse(R"({"op":"ping"})"));
    CHECK(std::holds_alternative<ping>(h.cmd.op));
    CHECK(op_name(h.cmd.op) == "ping");
  }
}

TEST_CASE("op_name names every alternative as on the wire") {
  char const* const expected[] = {
      "hello",        "join",    "leave",   "say",     "hand",      "speaker",    "insight",
      "vote",         "delete",  "timer",   "summary", "broadcast", "phase",      "table",
      "create_table", "ping",    "outcome", "hide",    "restore",   "mute",       "remove",
      "moderation",   "approve", "reject",  "poll",    "poll_vote", "poll_close", "react",
      "help",         "move",    "recall",  "role",    "balance",   "networking"};
  REQUIRE(std::size(expected) == std::variant_size_v<body>);
  CHECK(op_name(body{hello{}}) == "hello");
  CHECK(op_name(body{del{}}) == "delete");
  CHECK(op_name(body{create_table{}}) == "create_table");
  CHECK(op_name(body{ping{}}) == "ping");
  // Each name parses back into the alternative it names.
  harness h;
  // No "message": with "insight" as well, delete would be ambiguous; "up" false:
  // a hand that names a participant may only be lowered.
  std::string const fields =
      R"("name":"n","table":"t","room":"r","text":"x","up":false,"action":"next","insight":"i",)"
      R"("seconds":1,"topic":"x","open":true,"status":"noted","item":"m1","participant":"p1",)"
      R"("premoderate":true,"question":"Q","options":["a","b"],"poll":"q1","choices":[0],)"
      R"("emoji":"\u2753","stop":true)";
  for (auto const* name : expected) {
    INFO(name);
    // A move names its participant by id or by name, not both.
    auto const f = std::string_view(name) == "move" ? fields.substr(fields.find(',') + 1) : fields;
    REQUIRE(h.parse(std::string(R"({"op":")") + name + "\"," + std::string(f) + "}"));
    CHECK(op_name(h.cmd.op) == name);
  }
}

TEST_CASE("field order does not matter and unknown fields are ignored") {
  harness h;
  REQUIRE(h.parse(
      R"({"text":"hi","future":{"a":[1,2,{"b":null}]},"rid":3,"room":"plenary","x":-1.5e3,"op":"say"})"));
  CHECK(h.as<say>().text == "hi");
  CHECK(h.as<say>().room == "plenary");
  CHECK(h.cmd.rid == "3");
}

TEST_CASE("fields an op does not use are ignored whatever their type") {
  harness h;
  REQUIRE(h.parse(R"({"op":"ping","big":1e400,"huge":-99999999999999999999999.5e-3})"));
  REQUIRE(h.parse(R"({"op":"ping","text":5,"table":[],"up":"yes","resume":7})"));
  CHECK(std::holds_alternative<ping>(h.cmd.op));
}

TEST_CASE("a repeated key: the last one wins") {
  harness h;
  REQUIRE(h.parse(R"({"op":"join","table":"a","table":"b"})"));
  CHECK(h.as<join>().table == "b");
}

TEST_CASE("rid is kept as raw JSON text") {
  harness h;
  SECTION("number") {
    REQUIRE(h.parse(R"({"op":"ping","rid":7})"));
    CHECK(h.cmd.rid == "7");
  }
  SECTION("number followed by whitespace") {
    REQUIRE(h.parse("{\"op\":\"ping\",\"rid\":-12.5e2 \n , \"x\":1}"));
    CHECK(h.cmd.rid == "-12.5e2");
  }
  SECTION("a number past what a double holds is still valid JSON") {
    REQUIRE(h.parse(R"({"op":"ping","rid":123456789012345678901234567890})"));
    CHECK(h.cmd.rid == "123456789012345678901234567890");
  }
  SECTION("string keeps quotes and escapes") {
    REQUIRE(h.parse(R"({"rid":"a\"b\u00e9" ,"op":"ping"})"));
    CHECK(h.cmd.rid == R"("a\"b\u00e9")");
  }
  SECTION("absent") {
    REQUIRE(h.parse(R"({"op":"ping"})"));
    CHECK(h.cmd.rid.empty());
  }
  SECTION("null counts as absent") {
    REQUIRE(h.parse(R"({"op":"ping","rid":null})"));
    CHECK(h.cmd.rid.empty());
  }
  SECTION("cleared between messages") {
    REQUIRE(h.parse(R"({"op":"ping","rid":1})"));
    REQUIRE(h.parse(R"({"op":"ping"})"));
    CHECK(h.cmd.rid.empty());
  }
  SECTION("exactly at the limit") {
    std::string const rid = quoted(std::string(limits::rid - 2, 'r'));
    REQUIRE(h.parse(R"({"op":"ping","rid":)" + rid + "}"));
    CHECK(h.cmd.rid == rid);
  }
  SECTION("over the limit") {
    std::string const rid = quoted(std::string(limits::rid - 1, 'r'));
    auto const m = h.fails(R"({"op":"ping","rid":)" + rid + "}", error_code::too_large);
    CHECK(m.find("rid") != std::string::npos);
    CHECK(m.find("64") != std::string::npos);
  }
  SECTION("wrong types") {
    for (auto const* v : {"true", "[1]", "{\"a\":1}"}) {
      auto const m =
          h.fails(std::string(R"({"op":"ping","rid":)") + v + "}", error_code::bad_request);
      CHECK(m.find("rid") != std::string::npos);
    }
  }
  SECTION("an invalid escape in a string rid is invalid JSON") {
    h.fails(R"({"op":"ping","rid":"\x"})", error_code::bad_request);
  }
}

TEST_CASE("rid is set when the message fails on another field") {
  harness h;
  SECTION("rid before the bad field") {
    h.fails(R"({"rid":9,"op":"say","room":"plenary"})", error_code::bad_request);
    CHECK(h.cmd.rid == "9");
  }
  SECTION("rid after the bad field") {
    h.fails(R"({"op":"join","table":5,"rid":"x"})", error_code::bad_request);
    CHECK(h.cmd.rid == R"("x")");
  }
  SECTION("unknown op") {
    h.fails(R"({"op":"dance","rid":10})", error_code::bad_request);
    CHECK(h.cmd.rid == "10");
  }
  SECTION("missing op") {
    h.fails(R"({"rid":11})", error_code::bad_request);
    CHECK(h.cmd.rid == "11");
  }
  SECTION("too large field") {
    std::string const text(limits::text + 1, 'a');
    h.fails(R"({"rid":12,"op":"say","room":"plenary","text":")" + text + "\"}",
            error_code::too_large);
    CHECK(h.cmd.rid == "12");
  }
}

TEST_CASE("messages that are not one JSON object") {
  harness h;
  for (auto const* s : {"[]", "\"op\"", "42", "null", "true", "[{\"op\":\"ping\"}]"}) {
    auto const m = h.fails(s, error_code::bad_request);
    CHECK(m == "message must be a JSON object");
  }
  for (auto const* s : {"",
                        "   ",
                        "{",
                        "{\"op\":\"ping\"",
                        "{\"op\":\"ping\",}",
                        "{\"op\" \"ping\"}",
                        "{op:\"ping\"}",
                        "{\"op\":'ping'}",
                        "{\"op\":\"ping\"} {}",
                        "{\"op\":\"ping\"}]",
                        "{\"op\":\"ping\",\"x\":tru}",
                        "{\"op\":\"ping\",\"x\":[1,2,}",
                        "{\"op\":\"ping\",\"x\":01}",
                        "{\"op\":\"ping\",\"x\":nul}",
                        "{\"op\":\"ping\",\"x\":-}",
                        "{\"op\":\"ping\",\"x\":1.}",
                        "{\"op\":\"ping\",\"x\":1e}",
                        "{\"op\":\"ping\",\"rid\":1.e5}",
                        "{\"op\":\"ping\",\"x\":+1}",
                        "{\"op\":\"ping\",\"rid\":-}",
                        "{\"op\":\"ping\",\"x\":\"\\q\"}",
                        "{\"op\":\"ping\",\"x\":{\"a\" 1}}"}) {
    h.fails(s, error_code::bad_request);
  }
}

TEST_CASE("invalid UTF-8 and bad escapes are bad_request") {
  harness h;
  CHECK(h.fails("{\"op\":\"say\",\"room\":\"plenary\",\"text\":\"\xC3\x28\"}",
                error_code::bad_request) == "invalid UTF-8");
  CHECK(h.fails("{\"op\":\"ping\",\"x\":\"\xED\xA0\x80\"}", error_code::bad_request) ==
        "invalid UTF-8");
  h.fails(R"({"op":"say","room":"plenary","text":"\ud800"})", error_code::bad_request);
}

TEST_CASE("escapes are unescaped") {
  harness h;
  REQUIRE(h.parse(R"({"op":"say","room":"plenary","text":"caf\u00e9 \ud83d\ude00 \"q\" \\"})"));
  CHECK(h.as<say>().text == "caf\xC3\xA9 \xF0\x9F\x98\x80 \"q\" \\");
  REQUIRE(h.parse(R"({"\u006fp":"ping"})"));
  CHECK(std::holds_alternative<ping>(h.cmd.op));
}

TEST_CASE("op: missing, mistyped, unknown") {
  harness h;
  CHECK(h.fails(R"({"room":"plenary"})", error_code::bad_request) == "missing field 'op'");
  CHECK(h.fails(R"({"op":7})", error_code::bad_request) == "'op' must be a string");
  CHECK(h.fails(R"({"op":null})", error_code::bad_request) == "'op' must be a string");
  CHECK(h.fails(R"({"op":"dance"})", error_code::bad_request) == "unknown op 'dance'");
  CHECK(h.fails(R"({"op":"Ping"})", error_code::bad_request) == "unknown op 'Ping'");
  auto const long_op =
      h.fails(R"({"op":")" + std::string(1000, 'z') + "\"}", error_code::bad_request);
  CHECK(long_op.size() < 100);  // the op is named, but not echoed in full
}

TEST_CASE("missing and mistyped fields name the field") {
  harness h;
  CHECK(h.fails(R"({"op":"say","room":"plenary"})", error_code::bad_request) ==
        "say: missing field 'text'");
  CHECK(h.fails(R"({"op":"join","table":5})", error_code::bad_request) ==
        "join: 'table' must be a string");
  CHECK(h.fails(R"({"op":"join"})", error_code::bad_request) == "join: missing field 'table'");
  CHECK(h.fails(R"({"op":"join","table":null})", error_code::bad_request) ==
        "join: missing field 'table'");
  CHECK(h.fails(R"({"op":"hello"})", error_code::bad_request) == "hello: missing field 'name'");
  CHECK(h.fails(R"({"op":"hand"})", error_code::bad_request) == "hand: missing field 'up'");
  CHECK(h.fails(R"({"op":"hand","up":1})", error_code::bad_request) ==
        "hand: 'up' must be a boolean");
  CHECK(h.fails(R"({"op":"table","table":"t1"})", error_code::bad_request) ==
        "table: missing field 'open'");
  CHECK(h.fails(R"({"op":"summary","text":"x","publish":"yes"})", error_code::bad_request) ==
        "summary: 'publish' must be a boolean");
  CHECK(h.fails(R"({"op":"speaker","room":"t1","action":"skip"})", error_code::bad_request) ==
        "speaker: 'action' must be \"next\", \"end\" or \"clear\"");
  CHECK(h.fails(R"({"op":"speaker","room":"t1","action":"clear","participant":"p"})",
                error_code::bad_request) == "speaker: 'participant' goes with action \"next\"");
  CHECK(h.fails(R"({"op":"speaker","room":"t1","participant":"a b"})", error_code::bad_request) ==
        "speaker: 'participant' must be an id: 1 to 64 of A-Z a-z 0-9 _ . : -");
  CHECK(h.fails(R"({"op":"hand","up":true,"participant":"p"})", error_code::bad_request) ==
        "hand: a 'participant' hand can only be lowered");
  CHECK(h.fails(R"({"op":"timer","room":"t1","seconds":5,"pause":true})",
                error_code::bad_request) == "timer: give one of 'seconds', 'pause' or 'extend'");
  CHECK(h.fails(R"({"op":"timer","room":"t1","extend":0})", error_code::bad_request) ==
        "timer: 'extend' must be 1 or more");
  CHECK(h.fails(R"({"op":"timer","room":"t1","extend":86401})", error_code::bad_request) ==
        "timer: 'extend' must be an integer from 0 to 86400");
  CHECK(h.fails(R"({"op":"timer","room":"t1","pause":"yes"})", error_code::bad_request) ==
        "timer: 'pause' must be a boolean");
  CHECK(h.fails(R"({"op":"speaker","room":"t1"})", error_code::bad_request) ==
        "speaker: missing field 'action'");
  CHECK(h.fails(R"({"op":"vote"})", error_code::bad_request) == "vote: missing field 'insight'");
  CHECK(h.fails(R"({"op":"delete","room":"t1"})", error_code::bad_request) ==
        "delete: give one of 'message' or 'insight'");
  CHECK(h.fails(R"({"op":"delete","room":"t1","message":"m1","insight":"i1"})",
                error_code::bad_request) == "delete: give one of 'message' or 'insight'");
  CHECK(h.fails(R"({"op":"delete","room":"t1","insight":"bad id"})", error_code::bad_request) ==
        "delete: 'insight' must be an id: 1 to 64 of A-Z a-z 0-9 _ . : -");
  CHECK(h.fails(R"({"op":"timer","room":"t1"})", error_code::bad_request) ==
        "timer: missing field 'seconds'");
  CHECK(h.fails(R"({"op":"create_table","table":"t9"})", error_code::bad_request) ==
        "create_table: missing field 'topic'");
  CHECK(h.fails(R"({"op":"hello","name":"a","token":5})", error_code::bad_request) ==
        "hello: 'token' must be a string");
}

TEST_CASE("ids") {
  harness h;
  auto const join_table = [](std::string const& id) {
    return R"({"op":"join","table":)" + quoted(id) + "}";
  };
  REQUIRE(h.parse(join_table("A-z_0.9:x")));
  REQUIRE(h.parse(join_table(std::string(limits::id, 'a'))));
  CHECK(h.as<join>().table.size() == limits::id);
  auto const m = h.fails(join_table(std::string(limits::id + 1, 'a')), error_code::too_large);
  CHECK(m == "join: 'table' is over 64 bytes");
  h.fails(join_table(""), error_code::bad_request);
  h.fails(join_table("a b"), error_code::bad_request);
  h.fails(join_table("a/b"), error_code::bad_request);
  h.fails(join_table("caf\xC3\xA9"), error_code::bad_request);
  h.fails(R"({"op":"say","room":"a\u0000b","text":"x"})", error_code::bad_request);
}

TEST_CASE("texts: length limits at and past the edge") {
  harness h;
  struct cases {
    std::string prefix;
    std::size_t limit;
    std::string field;
  };
  for (auto const& c :
       {cases{R"({"op":"say","room":"plenary","text":)", limits::text, "text"},
        cases{R"({"op":"insight","text":)", limits::insight, "text"},
        cases{R"({"op":"summary","text":)", limits::summary, "text"},
        cases{R"({"op":"broadcast","text":)", limits::broadcast, "text"},
        cases{R"({"op":"phase","name":)", limits::topic, "name"},
        cases{R"({"op":"hello","name":)", limits::name, "name"},
        cases{R"({"op":"create_table","table":"t","topic":)", limits::topic, "topic"}}) {
    INFO(c.prefix);
    REQUIRE(h.parse(c.prefix + quoted(std::string(c.limit, 'x')) + "}"));
    auto const m =
        h.fails(c.prefix + quoted(std::string(c.limit + 1, 'x')) + "}", error_code::too_large);
    CHECK(m.find("'" + c.field + "'") != std::string::npos);
    CHECK(m.find(std::to_string(c.limit)) != std::string::npos);
  }
}

TEST_CASE("limits count bytes after unescaping") {
  harness h;
  // 4000 bytes of two-byte characters written as 12-byte escapes each.
  std::string text;
  for (std::size_t i = 0; i < limits::text / 2; ++i) text += "\\u00e9";
  REQUIRE(h.parse(R"({"op":"say","room":"plenary","text":")" + text + "\"}"));
  CHECK(h.as<say>().text.size() == limits::text);
  h.fails(R"({"op":"say","room":"plenary","text":")" + text + "x\"}", error_code::too_large);
}

TEST_CASE("empty texts where one is required") {
  harness h;
  CHECK(h.fails(R"({"op":"say","room":"plenary","text":""})", error_code::bad_request) ==
        "say: 'text' must not be empty");
  h.fails(R"({"op":"insight","text":""})", error_code::bad_request);
  h.fails(R"({"op":"broadcast","text":""})", error_code::bad_request);
  h.fails(R"({"op":"phase","name":""})", error_code::bad_request);
  h.fails(R"({"op":"create_table","table":"t","topic":""})", error_code::bad_request);
}

TEST_CASE("control characters") {
  harness h;
  auto const say_text = [](std::string const& t) {
    return R"({"op":"say","room":"plenary","text":")" + t + "\"}";
  };
  REQUIRE(h.parse(say_text("line\\nline\\ttab")));
  for (auto const* bad : {"\\r", "\\u0000", "\\u001b[31m", "\\u007f", "\\u0085", "\\b", "\\f"}) {
    INFO(bad);
    h.fails(say_text(std::string("a") + bad), error_code::bad_request);
  }
  // Names allow none at all, not even newline and tab.
  for (auto const* bad : {"\\n", "\\t", "\\u0000", "\\u009f"}) {
    INFO(bad);
    h.fails(std::string(R"({"op":"hello","name":"a)") + bad + "b\"}", error_code::bad_request);
  }
  REQUIRE(h.parse(R"({"op":"hello","name":"a\u00a0b\u2028"})"));  // not controls
}

TEST_CASE("names are trimmed") {
  harness h;
  REQUIRE(h.parse(R"({"op":"hello","name":"  Ada Lovelace  "})"));
  CHECK(h.as<hello>().name == "Ada Lovelace");
  REQUIRE(h.parse(R"({"op":"hello","name":"\u3000\u00a0Ada\u2003\ufeff"})"));
  CHECK(h.as<hello>().name == "Ada");
  CHECK(h.fails(R"({"op":"hello","name":"   "})", error_code::bad_request) ==
        "hello: 'name' must not be empty");
  h.fails(R"({"op":"hello","name":"\u3000"})", error_code::bad_request);
  // The limit applies to the trimmed name.
  REQUIRE(h.parse(R"({"op":"hello","name":"  )" + std::string(limits::name, 'n') + "  \"}"));
  CHECK(h.as<hello>().name.size() == limits::name);
  REQUIRE(h.parse(R"({"op":"phase","name":" keynote "})"));
  CHECK(h.as<phase>().name == "keynote");
  REQUIRE(h.parse(R"({"op":"create_table","table":"t","topic":" T ","moderator":"  "})"));
  CHECK(h.as<create_table>().topic == "T");
  CHECK(h.as<create_table>().moderator.empty());
}

TEST_CASE("texts keep their spaces") {
  harness h;
  REQUIRE(h.parse(R"({"op":"say","room":"plenary","text":"  indented  "})"));
  CHECK(h.as<say>().text == "  indented  ");
}

TEST_CASE("token") {
  harness h;
  std::string const token(limits::token, 't');
  REQUIRE(h.parse(R"({"op":"hello","name":"a","token":)" + quoted(token) + "}"));
  CHECK(h.as<hello>().token == token);
  auto const m = h.fails(R"({"op":"hello","name":"a","token":)" + quoted(token + "SECRET") + "}",
                         error_code::too_large);
  CHECK(m == "hello: 'token' is over 4096 bytes");
  CHECK(m.find("SECRET") == std::string::npos);
}

TEST_CASE("integers") {
  harness h;
  auto const timer_with = [](std::string const& v) {
    return R"({"op":"timer","room":"t1","seconds":)" + v + "}";
  };
  REQUIRE(h.parse(timer_with("0")));
  CHECK(h.as<timer>().seconds == 0);
  REQUIRE(h.parse(timer_with(std::to_string(limits::timer_seconds))));
  CHECK(h.as<timer>().seconds == limits::timer_seconds);
  for (auto const* bad : {"86401", "-1", "1.5", "3e2", "\"60\"", "true", "18446744073709551615",
                          "99999999999999999999999"}) {
    INFO(bad);
    auto const m = h.fails(timer_with(bad), error_code::bad_request);
    CHECK(m == "timer: 'seconds' must be an integer from 0 to 86400");
  }
  auto const create_with = [](std::string const& v) {
    return R"({"op":"create_table","table":"t","topic":"x","capacity":)" + v + "}";
  };
  REQUIRE(h.parse(create_with(std::to_string(limits::capacity))));
  CHECK(h.as<create_table>().capacity == limits::capacity);
  h.fails(create_with(std::to_string(limits::capacity + 1)), error_code::bad_request);
  h.fails(create_with("-3"), error_code::bad_request);
}

TEST_CASE("resume") {
  harness h;
  auto const hello_with = [](std::string const& resume) {
    return R"({"op":"hello","name":"a","resume":)" + resume + "}";
  };
  SECTION("extra fields in an entry are ignored") {
    REQUIRE(h.parse(hello_with(R"({"t1":{"epoch":1,"seq":0,"x":[1]}})")));
    REQUIRE(h.as<hello>().resume.size() == 1);
    CHECK(h.as<hello>().resume[0].seq == 0);
  }
  SECTION("a repeated room: the last one wins") {
    REQUIRE(h.parse(hello_with(R"({"t1":{"epoch":1,"seq":5},"t1":{"epoch":1,"seq":9}})")));
    REQUIRE(h.as<hello>().resume.size() == 1);
    CHECK(h.as<hello>().resume[0].seq == 9);
  }
  SECTION("wrong shapes") {
    for (auto const* bad : {R"([])", R"("x")", R"({"t1":5})", R"({"t1":{"epoch":1}})",
                            R"({"t1":{"seq":1}})", R"({"t1":{"epoch":-1,"seq":1}})",
                            R"({"t1":{"epoch":1,"seq":1.5}})", R"({"t1":{"epoch":"1","seq":1}})",
                            R"({"bad room":{"epoch":1,"seq":1}})", R"({"":{"epoch":1,"seq":1}})"}) {
      INFO(bad);
      auto const m = h.fails(hello_with(bad), error_code::bad_request);
      CHECK(m.find("resume") != std::string::npos);
    }
  }
  SECTION("at and over the room limit") {
    auto const rooms = [](std::size_t n) {
      std::string r = "{";
      for (std::size_t i = 0; i < n; ++i) {
        if (i) r += ',';
        r += "\"r" + std::to_string(i) + "\":{\"epoch\":1,\"seq\":" + std::to_string(i) + "}";
      }
      return r + "}";
    };
    REQUIRE(h.parse(hello_with(rooms(limits::resume_rooms))));
    CHECK(h.as<hello>().resume.size() == limits::resume_rooms);
    CHECK(h.as<hello>().resume.back().seq == limits::resume_rooms - 1);
    auto const m = h.fails(hello_with(rooms(limits::resume_rooms + 1)), error_code::too_large);
    CHECK(m.find("256") != std::string::npos);
  }
  SECTION("a bad resume on another op is ignored") {
    REQUIRE(h.parse(R"({"op":"ping","resume":{"t1":5}})"));
  }
}

TEST_CASE("size and nesting bounds") {
  harness h;
  std::string big(limits::message_bytes + 1, ' ');
  big.front() = '{';
  big.back() = '}';
  h.fails(big, error_code::too_large);
  // Just under the frame limit parses.
  std::string const filler(limits::message_bytes - 64, 'f');
  REQUIRE(h.parse(R"({"op":"ping","pad":")" + filler + "\"}"));
  // Deep nesting in an ignored field is refused, without a crash.
  std::string deep = R"({"op":"ping","x":)";
  for (int i = 0; i < 5000; ++i) deep += '[';
  for (int i = 0; i < 5000; ++i) deep += ']';
  deep += '}';
  h.fails(deep, error_code::bad_request);
}

TEST_CASE("one parser serves many messages") {
  harness h;
  std::string const long_text(limits::text, 'L');
  REQUIRE(h.parse(R"({"op":"say","room":"plenary","text":)" + quoted(long_text) + ",\"rid\":1}"));
  command first = h.cmd;
  REQUIRE(h.parse(R"({"op":"say","room":"t1","text":"short"})"));
  CHECK(std::get<say>(first.op).text == long_text);  // a copy, not a view into the buffer
  CHECK(h.as<say>().text == "short");
  CHECK(h.as<say>().room == "t1");
  CHECK(h.cmd.rid.empty());
  h.fails("not json", error_code::bad_request);
  REQUIRE(h.parse(R"({"op":"ping"})"));  // an error leaves the parser usable
}

TEST_CASE("parse_fields: an op's fields alone, with that op's checks", "[parse]") {
  parser p;
  command cmd;
  error err;
  REQUIRE(p.parse_fields("create_table", R"({"table":"a","topic":" T ","op":"ping","table":"b"})",
                         cmd, err));
  REQUIRE(std::holds_alternative<create_table>(cmd.op));
  CHECK(std::get<create_table>(cmd.op).table == "b");  // the last repeated key wins
  CHECK(std::get<create_table>(cmd.op).topic == "T");
  CHECK(cmd.rid.empty());
  CHECK_FALSE(p.parse_fields("create_table", R"({"table":"a","topic":"T\u0007"})", cmd, err));
  CHECK(err.code == error_code::bad_request);
  CHECK_FALSE(
      p.parse_fields("create_table", R"({"table":"a","topic":"T","capacity":100001})", cmd, err));
  CHECK(err.code == error_code::bad_request);
  CHECK_FALSE(
      p.parse_fields("broadcast", R"({"text":")" + std::string(2001, 'x') + "\"}", cmd, err));
  CHECK(err.code == error_code::too_large);
  CHECK_FALSE(p.parse_fields("broadcast", "[1]", cmd, err));
  CHECK(err.code == error_code::bad_request);
}
