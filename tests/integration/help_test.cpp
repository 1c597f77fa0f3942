// Calling the chair end to end on both engines: who may call (the table's
// moderator; its participants when the table's config says so), bad input, one
// open call per table, the `help` events reaching the chairs only, the lobby
// rows' `help` for the chair's overview, and the call closed by the chair's
// join or by `done`. And a race: every table calling at once from two nodes.
#include "tests/support/engine.hpp"
#include "tests/support/process.hpp"
#include "tests/support/session.hpp"
#include "tests/support/tokens.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace roundtable::test;
using namespace std::chrono_literals;
namespace auth = roundtable::auth;

namespace {

constexpr std::string_view secret = "help-test-secret-0123456789abcdefgh";

std::string token(auth::role r, std::string const& sub, std::string table = {}) {
  return token_field(secret, r, sub, std::move(table));
}

std::string call(std::string const& table, bool done = false) {
  return "\"table\":\"" + table + "\"" + (done ? ",\"done\":true" : "");
}

bool is_help(message const& m, std::string const& table, bool done) {
  return m.type() == "help" && m.str("table") == table && m.boolean("done") == done;
}

// The `help` events `c` receives within a quiet spell.
std::vector<message> helps(ws_client& c) {
  std::vector<message> out;
  for (auto& m : c.drain(300ms))
    if (m.type() == "help") out.push_back(std::move(m));
  return out;
}

// Waits for table `table`'s lobby row to say `help`.
bool row_says_help(ws_client& c, std::string const& table, bool help) {
  return c
      .wait_for([&](message const& m) {
        if (m.type() != "tables") return false;
        auto const row = table_row(m, table);
        bool h = false;
        return row && !(*row)["help"].get(h) && h == help;
      })
      .has_value();
}

}  // namespace

TEST_CASE("help: the chairs are called from a table and the call is answered", "[help]") {
  engine_under_test engine(GENERATE(as<std::string>{}, "memory", "redis"));
  INFO("engine: " << engine.name());
  temp_dir dir;
  auto const file = dir.path() + "/event.json";
  std::ofstream(file) << R"({"id":"e","title":"T","tables":[)"
                      << R"({"id":"t1","topic":"One","help":"participants"},)"
                      << R"({"id":"t2","topic":"Two"}]})";
  server_process srv(engine.args(secret_server_args(secret, {"--event", file})));
  auto chair = seated(srv.port, token(auth::role::chair, "chair"), "");
  auto chair2 = seated(srv.port, token(auth::role::chair, "chair2"), "");
  auto mod1 = seated(srv.port, token(auth::role::moderator, "mod1", "t1"), "t1");
  auto mod2 = seated(srv.port, token(auth::role::moderator, "mod2", "t2"), "t2");
  auto ann = seated(srv.port, token(auth::role::participant, "ann"), "t1");
  auto bob = seated(srv.port, token(auth::role::participant, "bob"), "t2");
  auto lobby = seated(srv.port, token(auth::role::participant, "lou"), "");
  CHECK(ann->request("join", "\"table\":\"t1\"").str("/snapshot/help_from") == "participants");
  for (auto* c : {chair.get(), chair2.get(), mod1.get(), ann.get()}) c->drain(100ms);

  // Bad input and refusals: a clear error, nothing for the chairs.
  CHECK(code_of(ann->request("help", "\"table\":[]")) == "bad_request");
  CHECK(code_of(ann->request("help", "\"done\":\"yes\"")) == "bad_request");
  CHECK(code_of(mod1->request("help", call("plenary"))) == "bad_request");
  CHECK(code_of(mod1->request("help", call("nowhere"))) == "not_found");
  CHECK(code_of(lobby->request("help")) == "forbidden");  // seated nowhere
  CHECK(code_of(lobby->request("help", call("t1"))) == "forbidden");
  CHECK(code_of(bob->request("help")) == "forbidden");  // t2: moderators only
  CHECK(code_of(mod1->request("help", call("t2"))) == "forbidden");
  CHECK(code_of(chair->request("help", call("t1"))) == "forbidden");
  CHECK(helps(*chair).empty());

  // Ann calls from t1 (it lets participants call): both chairs hear it, once.
  REQUIRE(code_of(ann->request("help")) == "ok");
  for (auto* c : {chair.get(), chair2.get()}) {
    auto const got = c->wait_for([](message const& m) { return is_help(m, "t1", false); });
    REQUIRE(got);
    CHECK(got->str("/from/id") == "ann");
    CHECK_FALSE(got->has("/seq"));
    CHECK(row_says_help(*c, "t1", true));
  }
  REQUIRE(code_of(ann->request("help")) == "ok");  // again: nothing more
  REQUIRE(code_of(mod2->request("help")) == "ok");
  for (auto* c : {chair.get(), chair2.get()}) {
    auto const got = helps(*c);
    REQUIRE(got.size() == 1);
    CHECK(is_help(got[0], "t2", false));
    CHECK(got[0].str("/from/id") == "mod2");
  }
  for (auto* c : {mod1.get(), ann.get(), bob.get(), lobby.get()}) CHECK(helps(*c).empty());
  CHECK(chair->request("join", "\"table\":\"t2\"").str("/snapshot/help/from/id").empty());
  // That join answered t2's call; t1's is closed by the chair from afar.
  for (auto* c : {chair.get(), chair2.get()}) {
    auto const got = c->wait_for([](message const& m) { return is_help(m, "t2", true); });
    REQUIRE(got);
    CHECK(got->str("/by/id") == "chair");
  }
  CHECK(code_of(bob->request("help", call("t2", true))) == "ok");  // closed already
  CHECK(code_of(bob->request("help", call("t1", true))) == "forbidden");
  REQUIRE(code_of(chair2->request("help", call("t1", true))) == "ok");
  REQUIRE(chair->wait_for([](message const& m) { return is_help(m, "t1", true); }));
  CHECK(row_says_help(*chair2, "t1", false));
  // A chair arriving now sees no call waiting, then hears the next one.
  ws_client late(srv.port);
  auto const hello = late.hello("x", token(auth::role::chair, "chair3"));
  for (auto const* t : {"t1", "t2"}) {
    auto const row = table_row(hello, t);
    REQUIRE(row);
    bool h = true;
    CHECK_FALSE((*row)["help"].get(h));
    CHECK_FALSE(h);
  }
  CHECK(code_of(mod1->request("help")) == "ok");
  REQUIRE(late.wait_for([](message const& m) { return is_help(m, "t1", false); }));
}

TEST_CASE("help races: every table calls at once from two nodes; each chair hears each once",
          "[help][redis][multi-node]") {
  redis_process redis;
  auto const url = "redis://127.0.0.1:" + std::to_string(redis.port);
  server_process a(secret_server_args(secret, {"--redis", url, "--node-id", "A"}));
  server_process b(secret_server_args(secret, {"--redis", url, "--node-id", "B"}));
  std::vector<std::string> const tables{"synergies", "big-data", "inclusiveness"};
  // Each table's moderator is connected on both nodes.
  std::vector<std::unique_ptr<ws_client>> callers;
  for (auto const& t : tables) {
    for (int port : {a.port, b.port})
      callers.push_back(seated(port, token(auth::role::moderator, "mod-" + t, t), t));
  }
  auto chair_a = seated(a.port, token(auth::role::chair, "chair-a"), "");
  auto chair_b = seated(b.port, token(auth::role::chair, "chair-b"), "");
  for (auto* c : {chair_a.get(), chair_b.get()}) c->drain(100ms);

  for (int round = 0; round < 20; ++round) {
    INFO("round " << round);
    std::vector<std::string> codes(callers.size());
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < callers.size(); ++i)
      threads.emplace_back([&, i] { codes[i] = code_of(callers[i]->request("help")); });
    for (auto& t : threads) t.join();
    for (auto const& c : codes) CHECK(c == "ok");
    // Each chair: one call per table, from its moderator.
    for (auto* chair : {chair_a.get(), chair_b.get()}) {
      std::map<std::string, int> calls;
      for (auto const& t : tables) {
        auto const got = chair->wait_for([&](message const& m) { return is_help(m, t, false); });
        REQUIRE(got);
        CHECK(got->str("/from/id") == "mod-" + t);
      }
      for (auto const& m : helps(*chair)) ++calls[m.str("table")];
      CHECK(calls.empty());  // nothing twice
    }
    // The chairs on both nodes close them all at once: one `done` each.
    std::vector<std::string> closed_a;
    std::thread closer([&] {
      for (auto const& t : tables)
        closed_a.push_back(code_of(chair_a->request("help", call(t, true))));
    });
    for (auto const& t : tables) CHECK(code_of(chair_b->request("help", call(t, true))) == "ok");
    closer.join();
    for (auto const& c : closed_a) CHECK(c == "ok");
    for (auto* chair : {chair_a.get(), chair_b.get()}) {
      for (auto const& t : tables)
        REQUIRE(chair->wait_for([&](message const& m) { return is_help(m, t, true); }));
      CHECK(helps(*chair).empty());
    }
  }
}
