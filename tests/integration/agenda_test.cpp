// The event's agenda: a list of phase ids with translated labels in the event
// file. The hello reply carries it; the `phase` op then takes one of its ids
// (anything else is a clear bad_request that changes nothing); without an
// agenda any name goes. A bad agenda stops the server at start.
#include "tests/support/banner.hpp"
#include "tests/support/process.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <string>

using namespace roundtable::test;
using namespace std::chrono_literals;

namespace {

std::string const tables = R"("tables":[{"id":"t1","topic":"One"}])";
std::string const agenda =
    R"("agenda":[{"id":"welcome","label":{"en":"Welcome","fr":"Accueil"}},)"
    R"({"id":"work","label":{"en":"Group work","fr":"Travail en groupes"}}])";

std::string event_file(temp_dir const& dir, std::string const& body) {
  auto const path = dir.path() + "/event.json";
  std::ofstream(path) << "{" << body << "}";
  return path;
}

message chair_hello(ws_client& c, server_process& srv) {
  auto const h = c.hello("Chair", "\"token\":\"" + printed_token(srv, "chair link") + "\"");
  REQUIRE(h.boolean("ok"));
  return h;
}

}  // namespace

TEST_CASE("with an agenda the phase op takes its ids only; hello carries the labels", "[agenda]") {
  temp_dir dir;
  server_process srv({"--ephemeral", "--event", event_file(dir, agenda + "," + tables)});
  ws_client chair(srv.port), watcher(srv.port);
  auto const h = chair_hello(chair, srv);
  // No `phase` in the file: the first step.
  CHECK(h.str("/event/phase") == "welcome");
  CHECK(h.str("/event/agenda/0/id") == "welcome");
  CHECK(h.str("/event/agenda/1/label/fr") == "Travail en groupes");
  CHECK(h.str("/event/agenda/1/label/en") == "Group work");
  watcher.hello("Watcher");

  for (int round = 0; round < 3; ++round) {
    auto const bad = chair.request("phase", R"("name":"lunch")");
    CHECK_FALSE(bad.boolean("ok"));
    CHECK(bad.str("/error/code") == "bad_request");
    CHECK(bad.str("/error/message") == "phase: 'lunch' is not on the agenda (welcome, work)");
    // An id differs from its label.
    CHECK(chair.request("phase", R"("name":"Group work")").str("/error/code") == "bad_request");
    REQUIRE(chair.request("phase", R"("name":"work")").boolean("ok"));
    auto const ev = watcher.wait_type("phase");
    REQUIRE(ev);
    CHECK(ev->str("name") == "work");
    REQUIRE(chair.request("phase", R"("name":"welcome")").boolean("ok"));
    CHECK(watcher.wait_type("phase")->str("name") == "welcome");
  }
  // Only the accepted phases reached anyone.
  CHECK(watcher.drain().empty());
  ws_client late(srv.port);
  auto const l = late.hello("Late");
  CHECK(l.str("/plenary/phase") == "welcome");
  simdjson::dom::array phases;
  REQUIRE_FALSE(l.at("/plenary/phases").get(phases));
  CHECK(phases.size() == 6);
}

TEST_CASE("without an agenda any phase name goes and hello has none", "[agenda]") {
  temp_dir dir;
  server_process srv({"--ephemeral", "--event", event_file(dir, R"("phase":"intro",)" + tables)});
  ws_client chair(srv.port);
  auto const h = chair_hello(chair, srv);
  CHECK(h.str("/event/phase") == "intro");
  CHECK_FALSE(h.has("/event/agenda"));
  CHECK(chair.request("phase", R"("name":"lunch")").boolean("ok"));
}

TEST_CASE("a bad agenda stops the server at start with a line that says why", "[agenda]") {
  temp_dir dir;
  struct bad_case {
    std::string body, says;
  };
  std::vector<bad_case> const cases{
      {R"("agenda":{"id":"a"},)" + tables, "'agenda' must be an array"},
      {R"("agenda":[{"label":{"en":"A"}}],)" + tables, "each agenda step needs an id"},
      {R"("agenda":[{"id":"a b","label":{"en":"A"}}],)" + tables, "each agenda step needs an id"},
      {R"("agenda":[{"id":"a"}],)" + tables, "agenda step a needs a label object"},
      {R"("agenda":[{"id":"a","label":{}}],)" + tables, "agenda step a needs at least one label"},
      {R"("agenda":[{"id":"a","label":{"en":""}}],)" + tables, "agenda step a: each label"},
      {R"("agenda":[{"id":"a","label":{"en":5}}],)" + tables, "agenda step a: each label"},
      {R"("agenda":[{"id":"a","label":{"e n":"A"}}],)" + tables, "agenda step a: each label"},
      {R"("agenda":[{"id":"a","label":{"en":"A"}},{"id":"a","label":{"en":"B"}}],)" + tables,
       "agenda step a appears twice"},
      {R"("phase":"lunch",)" + agenda + "," + tables, "'phase' lunch is not an agenda step"},
  };
  for (auto const& c : cases) {
    INFO(c.body);
    auto const out = event_refused(dir, "{" + c.body + "}");
    REQUIRE(out);
    CHECK(out->find(c.says) != std::string::npos);
  }
  // Past max_agenda (50) steps: a day's programme has a dozen.
  std::string many = R"("agenda":[)";
  for (int i = 0; i < 51; ++i)
    many += (i ? "," : "") + std::string(R"({"id":"s)") + std::to_string(i) +
            R"(","label":{"en":"S"}})";
  auto const out = event_refused(dir, "{" + many + "]," + tables + "}");
  REQUIRE(out);
  CHECK(out->find("more than 50 steps") != std::string::npos);
}
