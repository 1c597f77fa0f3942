// Tables' goals and guiding questions from the event config (issue 14): in the
// hello reply's lobby rows, in `tables` events, in the report (with who spoke
// and the deleted messages counted apart) and on the outcomes page; and a
// config past the bounds refused at start.
#include "tests/support/banner.hpp"
#include "tests/support/process.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <string>

using namespace roundtable::test;
using namespace std::chrono_literals;

namespace {

std::string write_file(temp_dir const& dir, std::string const& json) {
  auto const path = dir.path() + "/event.json";
  std::ofstream(path) << json;
  return path;
}

constexpr char const* guided_event = R"({"id":"e","title":"E","tables":[
  {"id":"t1","topic":"One","goal":"Agree on <three> steps",
   "questions":["Who pays?","Who maintains?"]},
  {"id":"t2","topic":"Two"}]})";

std::vector<std::string> strings_at(simdjson::dom::element e, char const* key) {
  std::vector<std::string> out;
  simdjson::dom::array a;
  if (e[key].get(a)) return out;
  for (auto x : a) {
    std::string_view s;
    if (!x.get(s)) out.emplace_back(s);
  }
  return out;
}

}  // namespace

TEST_CASE("goal and questions reach the lobby, tables events, the report and the outcomes page",
          "[guide]") {
  temp_dir dir;
  server_process srv({"--ephemeral", "--rate-limit", "0", "--api-key", "k", "--event",
                      write_file(dir, guided_event)});
  ws_client ann(srv.port);
  auto const hello = ann.hello("Ann");
  REQUIRE(hello.boolean("ok"));
  auto const t1 = table_row(hello, "t1");
  REQUIRE(t1);
  std::string_view goal;
  CHECK(!(*t1)["goal"].get(goal));
  CHECK(goal == "Agree on <three> steps");
  CHECK(strings_at(*t1, "questions") == std::vector<std::string>{"Who pays?", "Who maintains?"});
  auto const t2 = table_row(hello, "t2");
  REQUIRE(t2);
  CHECK(strings_at(*t2, "questions").empty());

  // A `tables` event carries the whole row.
  ws_client bob(srv.port);
  REQUIRE(bob.hello("Bob").boolean("ok"));
  REQUIRE(bob.request("join", R"("table":"t1")").boolean("ok"));
  auto const tables = ann.wait_for(
      [](message const& m) { return m.type() == "tables" && table_row(m, "t1").has_value(); });
  REQUIRE(tables);
  CHECK(strings_at(*table_row(*tables, "t1"), "questions").size() == 2);

  // The report: questions and goal; who spoke; deleted messages apart.
  ws_client chair(srv.port);
  REQUIRE(
      chair.hello("Chair", "\"token\":\"" + printed_token(srv, "chair link") + "\"").boolean("ok"));
  REQUIRE(bob.request("say", R"("room":"t1","text":"kept")").boolean("ok"));
  REQUIRE(bob.request("say", R"("room":"t1","text":"off topic")").boolean("ok"));
  auto const off = bob.wait_for([](message const& m) { return m.str("text") == "off topic"; });
  REQUIRE(off);
  REQUIRE(
      chair.request("delete", R"("room":"t1","message":")" + off->str("id") + "\"").boolean("ok"));
  message const report(http_get(srv.port, "/api/report", {{"X-Api-Key", "k"}}).body);
  CHECK(report.str("/tables/0/goal") == "Agree on <three> steps");
  CHECK(report.str("/tables/0/questions/1") == "Who maintains?");
  CHECK(report.num("/tables/0/participants") == 1);
  CHECK(report.num("/tables/0/spoke") == 1);
  CHECK(report.num("/tables/0/messages") == 1);
  CHECK(report.num("/tables/0/deleted_messages") == 1);
  auto const md = http_get(srv.port, "/api/report.md", {{"X-Api-Key", "k"}}).body;
  CHECK(md.find("- Who pays?") != std::string::npos);
  CHECK(md.find("1 deleted") != std::string::npos);

  message const outcomes(http_get(srv.port, "/api/outcomes").body);
  CHECK(outcomes.str("/tables/0/goal") == "Agree on <three> steps");
  CHECK(outcomes.str("/tables/0/questions/0") == "Who pays?");
  auto const page = http_get(srv.port, "/outcomes").body;
  CHECK(page.find("Agree on &lt;three&gt; steps") != std::string::npos);
  CHECK(page.find("<li>Who maintains?</li>") != std::string::npos);
}

TEST_CASE("an event config past the guide's bounds is refused at start", "[guide][start]") {
  temp_dir dir;
  std::string const long_goal(201, 'g');
  for (auto const* bad : {
           R"({"tables":[{"id":"t","topic":"T","questions":["1","2","3","4","5","6"]}]})",
           R"({"tables":[{"id":"t","topic":"T","questions":"one"}]})",
           R"({"tables":[{"id":"t","topic":"T","questions":[""]}]})",
           R"({"tables":[{"id":"t","topic":"T","goal":7}]})",
       }) {
    INFO(bad);
    auto const out = event_refused(dir, bad);
    REQUIRE(out);
    CHECK(out->find("table t") != std::string::npos);
  }
  auto const out =
      event_refused(dir, R"({"tables":[{"id":"t","topic":"T","goal":")" + long_goal + "\"}]}");
  REQUIRE(out);
  CHECK(out->find("'goal' is over 200 bytes") != std::string::npos);
}
