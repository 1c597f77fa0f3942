// The hosts' tools end to end on both engines: the chair moves a participant
// to a table (by id or by name, every connection of theirs, on whichever node
// holds them), and calls everyone back to the plenary (a countdown, then the
// tables empty and close). The permission matrix and bad input of each (a
// clear error, nothing happens), the lobby's limits (a closed or full table),
// a move racing the person's own hop and a recall's end on two Redis nodes.
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
#include <set>
#include <string>
#include <vector>

using namespace roundtable::test;
using namespace std::chrono_literals;
namespace auth = roundtable::auth;

namespace {

constexpr std::string_view secret = "hosts-test-secret-0123456789abcdef";

std::string token(auth::role r, std::string sub, std::string table = {}) {
  return token_field(secret, r, std::move(sub), std::move(table));
}

std::vector<std::string> server_args(std::vector<std::string> extra = {}) {
  return secret_server_args(secret, std::move(extra));
}

std::string move_to(std::string const& who, std::string const& table) {
  return "\"participant\":\"" + who + "\",\"table\":\"" + table + "\"";
}

// The `presence` events of `table` that `watcher` received up to its own
// marker message there.
std::vector<message> presence_until_marker(ws_client& watcher, std::string const& table) {
  static int n = 0;
  auto const mark = "marker-" + std::to_string(++n);
  REQUIRE(
      watcher.request("say", "\"room\":\"" + table + "\",\"text\":\"" + mark + "\"").boolean("ok"));
  std::vector<message> out;
  for (;;) {
    auto m = watcher.next();
    REQUIRE(m);
    if (m->type() == "message" && m->str("text") == mark) return out;
    if (m->type() == "presence" && m->str("room") == table) out.push_back(std::move(*m));
  }
}

// Joined minus left of `who` in `events`: 1 when they arrived and stayed.
int net_presence(std::vector<message> const& events, std::string const& who) {
  int n = 0;
  for (auto const& e : events) {
    if (e.str("/joined/id") == who) ++n;
    if (e.str("left") == who) --n;
  }
  return n;
}

}  // namespace

TEST_CASE("hosts: the chair moves a participant to a table", "[hosts]") {
  engine_server const srv(GENERATE(as<std::string>{}, "memory", "redis"), server_args());
  INFO("engine: " << srv.engine.name());
  auto chair = seated(srv.port, token(auth::role::chair, "chair"), "");
  auto bob = seated(srv.port, token(auth::role::participant, "bob"), "synergies");
  auto carol = seated(srv.port, token(auth::role::participant, "carol"), "big-data");
  auto ada = seated(srv.port, token(auth::role::participant, "ada"), "synergies");
  auto ada_tab = seated(srv.port, token(auth::role::participant, "ada"), "");  // a second tab
  presence_until_marker(*bob, "synergies");

  REQUIRE(chair->request("move", move_to("ada", "big-data")).boolean("ok"));
  for (auto* c : {ada.get(), ada_tab.get()}) {
    auto const moved = c->wait_type("moved");
    REQUIRE(moved);
    CHECK(moved->str("table") == "big-data");
    CHECK(moved->str("/by/id") == "chair");
    CHECK(moved->str("/by/role") == "chair");
    CHECK_FALSE(moved->has("/balance"));  // a move, not a balance
    CHECK(moved->str("/snapshot/room") == "big-data");
    CHECK_FALSE(moved->has("error"));
  }
  // Seated there, by the server: the old table lost one, the new one gained two.
  auto const left = presence_until_marker(*bob, "synergies");
  CHECK(net_presence(left, "ada") == -1);
  auto const arrived = presence_until_marker(*carol, "big-data");
  CHECK(net_presence(arrived, "ada") == 2);
  CHECK(ada->request("say", "\"room\":\"big-data\",\"text\":\"hi\"").boolean("ok"));
  CHECK(code_of(ada->request("say", "\"room\":\"synergies\",\"text\":\"hi\"")) == "forbidden");
  CHECK(ada_tab->request("say", "\"room\":\"big-data\",\"text\":\"hi\"").boolean("ok"));

  // By display name: every connection with that name; nobody else.
  REQUIRE(
      chair->request("move", "\"name\":\"Name of bob\",\"table\":\"inclusiveness\"").boolean("ok"));
  auto const bob_moved = bob->wait_type("moved");
  REQUIRE(bob_moved);
  CHECK(bob_moved->str("/snapshot/room") == "inclusiveness");
  CHECK(bob->request("say", "\"room\":\"inclusiveness\",\"text\":\"hi\"").boolean("ok"));
  CHECK_FALSE(carol->wait_type("moved", 300ms));

  // Moving someone where they sit: told again, nothing published.
  REQUIRE(chair->request("move", move_to("carol", "big-data")).boolean("ok"));
  auto const again = carol->wait_type("moved");
  REQUIRE(again);
  CHECK(again->str("/snapshot/room") == "big-data");
  CHECK(presence_until_marker(*carol, "big-data").empty());
}

TEST_CASE("hosts: who may move people, and bad input", "[hosts]") {
  engine_server const srv(GENERATE(as<std::string>{}, "memory", "redis"), server_args());
  INFO("engine: " << srv.engine.name());
  auto chair = seated(srv.port, token(auth::role::chair, "chair"), "");
  auto mod = seated(srv.port, token(auth::role::moderator, "mod", "synergies"), "synergies");
  auto ada = seated(srv.port, token(auth::role::participant, "ada"), "synergies");
  auto bob = seated(srv.port, token(auth::role::participant, "bob"), "big-data");

  CHECK(code_of(ada->request("move", move_to("bob", "synergies"))) == "forbidden");
  CHECK(code_of(mod->request("move", move_to("ada", "big-data"))) == "forbidden");
  CHECK(code_of(chair->request("move", move_to("ada", "nowhere"))) == "not_found");
  CHECK(code_of(chair->request("move", move_to("ada", "plenary"))) == "not_found");
  CHECK(code_of(chair->request("move", "\"table\":\"big-data\"")) == "bad_request");
  CHECK(code_of(chair->request("move", "\"participant\":\"ada\"")) == "bad_request");
  CHECK(code_of(chair->request("move", move_to("ada", "big-data") + ",\"name\":\"Ada\"")) ==
        "bad_request");
  CHECK(code_of(chair->request("move", move_to("bad id!", "big-data"))) == "bad_request");
  CHECK(code_of(chair->request("move", "\"participant\":7,\"table\":\"big-data\"")) ==
        "bad_request");
  CHECK(code_of(chair->request("move", "\"name\":\"  \",\"table\":\"big-data\"")) == "bad_request");
  CHECK(code_of(chair->request("move", "\"name\":\"" + std::string(65, 'n') +
                                           "\",\"table\":\"big-data\"")) == "too_large");

  // A closed table, a full one: the chair hears why at once.
  REQUIRE(mod->request("table", "\"table\":\"synergies\",\"open\":false").boolean("ok"));
  CHECK(code_of(chair->request("move", move_to("bob", "synergies"))) == "forbidden");
  REQUIRE(chair->request("create_table", "\"table\":\"small\",\"topic\":\"Small\",\"capacity\":1")
              .boolean("ok"));
  auto carol = seated(srv.port, token(auth::role::participant, "carol"), "small");
  auto const full = chair->request("move", move_to("bob", "small"));
  CHECK(code_of(full) == "full");
  CHECK(full.str("/error/message").find("1 of 1") != std::string::npos);

  // Nobody was moved by any of it.
  for (auto* c : {ada.get(), bob.get(), carol.get()}) CHECK_FALSE(c->wait_type("moved", 200ms));
  CHECK(bob->request("say", "\"room\":\"big-data\",\"text\":\"still here\"").boolean("ok"));
}

TEST_CASE("hosts: a table that fills before the person arrives refuses them", "[hosts]") {
  engine_server const srv(GENERATE(as<std::string>{}, "memory", "redis"), server_args());
  INFO("engine: " << srv.engine.name());
  auto chair = seated(srv.port, token(auth::role::chair, "chair"), "");
  REQUIRE(chair->request("create_table", "\"table\":\"small\",\"topic\":\"Small\",\"capacity\":1")
              .boolean("ok"));
  auto ada = seated(srv.port, token(auth::role::participant, "ada"), "synergies");
  // Two tabs of Bob: the lobby shows a free seat, the first tab takes it.
  auto bob = seated(srv.port, token(auth::role::participant, "bob"), "");
  auto bob_tab = seated(srv.port, token(auth::role::participant, "bob"), "");
  REQUIRE(chair->request("move", move_to("bob", "small")).boolean("ok"));
  auto const first = bob->wait_type("moved");
  auto const second = bob_tab->wait_type("moved");
  REQUIRE(first);
  REQUIRE(second);
  // Exactly one seat: one tab seated, the other told why it was not.
  CHECK(first->has("snapshot") != second->has("snapshot"));
  auto const& refused = first->has("error") ? *first : *second;
  CHECK(refused.str("/error/code") == "full");
  CHECK(refused.str("table") == "small");
}

TEST_CASE("hosts: a move and the person's own hop at once, two nodes", "[hosts][redis]") {
  two_nodes nodes(server_args());
  auto chair = seated(nodes.a.port, token(auth::role::chair, "chair"), "");
  auto watch_syn =
      seated(nodes.a.port, token(auth::role::moderator, "w1", "synergies"), "synergies");
  auto watch_big = seated(nodes.a.port, token(auth::role::moderator, "w2", "big-data"), "big-data");
  auto watch_inc =
      seated(nodes.b.port, token(auth::role::moderator, "w3", "inclusiveness"), "inclusiveness");
  std::map<std::string, ws_client*> const watchers{{"synergies", watch_syn.get()},
                                                   {"big-data", watch_big.get()},
                                                   {"inclusiveness", watch_inc.get()}};
  for (int round = 0; round < 20; ++round) {
    INFO("round " << round);
    auto ada = seated(nodes.b.port, token(auth::role::participant, "ada"), "inclusiveness");
    for (auto const& [table, w] : watchers) presence_until_marker(*w, table);

    // At the same instant: the chair moves Ada to synergies on node A, and Ada
    // hops to big-data on node B.
    chair->send("{\"op\":\"move\",\"rid\":1," + move_to("ada", "synergies") + "}");
    ada->send("{\"op\":\"join\",\"rid\":2,\"table\":\"big-data\"}");
    auto const chair_reply = chair->wait_type("reply");
    REQUIRE(chair_reply);
    CHECK(chair_reply->boolean("ok"));

    // Where Ada's own stream says she is: the last seat she was told of.
    std::string seated = "inclusiveness";
    bool join_answered = false, moved_seen = false;
    while (!join_answered || !moved_seen) {
      auto m = ada->next();
      REQUIRE(m);
      if (m->type() == "reply") {
        join_answered = true;
        REQUIRE(m->boolean("ok"));
        seated = m->str("/snapshot/room");
      } else if (m->type() == "moved") {
        moved_seen = true;
        REQUIRE(m->has("snapshot"));
        seated = m->str("/snapshot/room");
      } else if (m->has("seq") && m->str("room") != "plenary") {
        // A table's event reaches her only where she sits.
        CHECK(m->str("room") == seated);
      }
    }
    REQUIRE((seated == "synergies" || seated == "big-data"));
    // The server agrees: she may speak there, and every table's presence
    // shows her at exactly that one.
    CHECK(ada->request("say", "\"room\":\"" + seated + "\",\"text\":\"here\"").boolean("ok"));
    int total = 0;
    for (auto const& [table, w] : watchers) {
      auto const net = net_presence(presence_until_marker(*w, table), "ada");
      if (table == "inclusiveness") {
        CHECK(net == -1);
      } else {
        CHECK(net == (table == seated ? 1 : 0));
      }
      total += net;
    }
    CHECK(total == 0);
    ada->close();
    presence_until_marker(*watchers.at(seated), seated);  // her leave
  }
}

TEST_CASE("hosts: two chairs move one person to two tables at once, two nodes", "[hosts][redis]") {
  two_nodes nodes(server_args());
  auto chair_a = seated(nodes.a.port, token(auth::role::chair, "chair-a"), "");
  auto chair_b = seated(nodes.b.port, token(auth::role::chair, "chair-b"), "");
  auto watch_syn =
      seated(nodes.a.port, token(auth::role::moderator, "w1", "synergies"), "synergies");
  auto watch_big = seated(nodes.b.port, token(auth::role::moderator, "w2", "big-data"), "big-data");
  std::map<std::string, ws_client*> const watchers{{"synergies", watch_syn.get()},
                                                   {"big-data", watch_big.get()}};
  for (int round = 0; round < 20; ++round) {
    INFO("round " << round);
    auto ada = seated(nodes.b.port, token(auth::role::participant, "ada"), "");
    for (auto const& [table, w] : watchers) presence_until_marker(*w, table);

    chair_a->send("{\"op\":\"move\",\"rid\":1," + move_to("ada", "synergies") + "}");
    chair_b->send("{\"op\":\"move\",\"rid\":1," + move_to("ada", "big-data") + "}");
    for (auto* chair : {chair_a.get(), chair_b.get()}) {
      auto const reply = chair->wait_type("reply");
      REQUIRE(reply);
      CHECK(reply->boolean("ok"));
    }
    // Both orders reach her, in the plenary log's order: she sits where the
    // second one put her, and a table's events reach her only where she sits.
    std::string where;
    int moves = 0;
    while (moves < 2) {
      auto m = ada->next();
      REQUIRE(m);
      if (m->type() == "moved") {
        ++moves;
        REQUIRE(m->has("snapshot"));
        where = m->str("/snapshot/room");
      } else if (m->has("seq") && m->str("room") != "plenary") {
        CHECK(m->str("room") == where);
      }
    }
    REQUIRE((where == "synergies" || where == "big-data"));
    CHECK(ada->request("say", "\"room\":\"" + where + "\",\"text\":\"here\"").boolean("ok"));
    for (auto const& [table, w] : watchers)
      CHECK(net_presence(presence_until_marker(*w, table), "ada") == (table == where ? 1 : 0));
    ada->close();
    presence_until_marker(*watchers.at(where), where);  // her leave
  }
}

namespace {

// The `recall` events `c` receives until the one that ends the recall.
std::vector<message> recall_until_ended(ws_client& c) {
  std::vector<message> out;
  for (;;) {
    auto m = c.wait_type("recall", 10s);
    REQUIRE(m);
    out.push_back(*m);
    if (m->boolean("ended")) return out;
  }
}

}  // namespace

TEST_CASE("hosts: back to the plenary, and who may call it", "[hosts]") {
  engine_server const srv(GENERATE(as<std::string>{}, "memory", "redis"), server_args());
  INFO("engine: " << srv.engine.name());
  auto chair = seated(srv.port, token(auth::role::chair, "chair"), "");
  auto mod = seated(srv.port, token(auth::role::moderator, "mod", "synergies"), "synergies");
  auto ada = seated(srv.port, token(auth::role::participant, "ada"), "synergies");
  auto bob = seated(srv.port, token(auth::role::participant, "bob"), "big-data");
  auto carol = seated(srv.port, token(auth::role::participant, "carol"), "");

  CHECK(code_of(ada->request("recall", "\"minutes\":5")) == "forbidden");
  CHECK(code_of(mod->request("recall", "\"minutes\":5")) == "forbidden");
  CHECK(code_of(chair->request("recall", "")) == "bad_request");
  CHECK(code_of(chair->request("recall", "\"minutes\":121")) == "bad_request");
  CHECK(code_of(chair->request("recall", "\"minutes\":-1")) == "bad_request");
  CHECK(code_of(chair->request("recall", "\"minutes\":\"5\"")) == "bad_request");
  CHECK(code_of(chair->request("recall", "\"minutes\":1.5")) == "bad_request");
  CHECK(code_of(chair->request("recall", "\"seconds\":7201")) == "bad_request");
  CHECK(code_of(chair->request("recall", "\"minutes\":5,\"seconds\":5")) == "bad_request");
  CHECK(code_of(chair->request("recall", "\"minutes\":5,\"cancel\":true")) == "bad_request");
  CHECK(code_of(chair->request("recall", "\"cancel\":true")) == "not_found");
  CHECK_FALSE(carol->wait_type("recall", 200ms));

  // A countdown everyone sees, in the plenary snapshot too; then called off.
  auto const before = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  REQUIRE(chair->request("recall", "\"minutes\":10").boolean("ok"));
  std::int64_t ends_at = 0;
  for (auto* c : {ada.get(), bob.get(), carol.get(), mod.get()}) {
    auto const r = c->wait_type("recall");
    REQUIRE(r);
    CHECK(r->str("room") == "plenary");
    CHECK_FALSE(r->boolean("ended"));
    CHECK(r->str("/by/id") == "chair");
    ends_at = r->num("ends_at");
    CHECK(ends_at >= before + 600'000);
    CHECK(ends_at < before + 600'000 + 60'000);
  }
  ws_client late(srv.port);
  CHECK(late.hello("late", token(auth::role::participant, "late")).num("/plenary/recall_ends_at") ==
        ends_at);
  REQUIRE(chair->request("recall", "\"cancel\":true").boolean("ok"));
  auto const off = carol->wait_type("recall");
  REQUIRE(off);
  CHECK(off->num("ends_at") == 0);
  CHECK_FALSE(off->boolean("ended"));

  // One second: everyone back in the plenary, the tables closed.
  REQUIRE(chair->request("recall", "\"seconds\":1").boolean("ok"));
  for (auto* c : {ada.get(), bob.get(), carol.get(), mod.get()}) {
    auto seen = recall_until_ended(*c);
    // Only carol read the cancel above: the others still hold it (ends_at 0).
    std::erase_if(seen, [](message const& m) { return m.num("ends_at") == 0; });
    REQUIRE(seen.size() == 2);
    CHECK(seen[1].num("ends_at") == seen[0].num("ends_at"));
  }
  CHECK(code_of(ada->request("say", "\"room\":\"synergies\",\"text\":\"still here?\"")) ==
        "forbidden");
  CHECK(code_of(bob->request("say", "\"room\":\"big-data\",\"text\":\"still here?\"")) ==
        "forbidden");
  CHECK(code_of(mod->request("say", "\"room\":\"synergies\",\"text\":\"still here?\"")) ==
        "forbidden");
  CHECK(ada->request("say", "\"room\":\"plenary\",\"text\":\"back\"").boolean("ok"));
  // Read-only: a participant cannot sit down again; the lobby shows them closed.
  CHECK(code_of(ada->request("join", "\"table\":\"synergies\"")) == "forbidden");
  ws_client after(srv.port);
  auto const hello = after.hello("after", token(auth::role::participant, "after"));
  for (std::string const table : {"synergies", "big-data", "inclusiveness"}) {
    auto const row = table_row(hello, table);
    REQUIRE(row);
    bool open = true;
    CHECK_FALSE((*row)["open"].get(open));
    CHECK_FALSE(open);
  }
  CHECK(hello.num("/plenary/recall_ends_at") == 0);
}

TEST_CASE("hosts: a recall's end on two nodes, repeated", "[hosts][redis]") {
  two_nodes nodes(server_args());
  auto chair = seated(nodes.a.port, token(auth::role::chair, "chair"), "");
  for (int round = 0; round < 5; ++round) {
    INFO("round " << round);
    for (std::string const table : {"synergies", "big-data"})
      REQUIRE(chair->request("table", "\"table\":\"" + table + "\",\"open\":true").boolean("ok"));
    auto ada = seated(nodes.b.port, token(auth::role::participant, "ada"), "synergies");
    auto bob = seated(nodes.a.port, token(auth::role::participant, "bob"), "big-data");
    auto watch = seated(nodes.b.port, token(auth::role::moderator, "w", "synergies"), "synergies");
    REQUIRE(chair->request("recall", "\"seconds\":1").boolean("ok"));
    // Both nodes' countdowns end it; each client hears the end exactly once.
    for (auto* c : {ada.get(), bob.get(), watch.get()}) {
      auto const seen = recall_until_ended(*c);
      CHECK(seen.size() == 2);
    }
    for (auto* c : {ada.get(), bob.get(), watch.get()}) CHECK_FALSE(c->wait_type("recall", 300ms));
    CHECK(code_of(ada->request("say", "\"room\":\"synergies\",\"text\":\"x\"")) == "forbidden");
    CHECK(code_of(bob->request("say", "\"room\":\"big-data\",\"text\":\"x\"")) == "forbidden");
    CHECK(code_of(ada->request("join", "\"table\":\"big-data\"")) == "forbidden");
  }
}

namespace {

// A server with an event config: table "open-floor" takes anonymous
// contributions, "synergies" does not (nor does the plenary).
struct anonymous_event {
  explicit anonymous_event(std::string const& name) : engine(name) {}
  // Written before the server starts (members initialise in this order).
  static std::string write_config(std::string const& file) {
    std::ofstream(file) << R"({"id": "anon-test", "title": "Anonymous", "tables": [
      {"id": "open-floor", "topic": "Say it freely", "anonymous": true},
      {"id": "other-floor", "topic": "Also free", "anonymous": true},
      {"id": "synergies", "topic": "Synergies"}]})";
    return file;
  }
  engine_under_test engine;
  temp_dir dir;
  std::string file = write_config(dir.path() + "/event.json");
  server_process proc{engine.args(server_args({"--event", file, "--api-key", "hosts-key"}))};
  int port = proc.port;
};

std::string say_anon(std::string const& room, std::string const& text) {
  return "\"room\":\"" + room + "\",\"text\":\"" + text + "\",\"anonymous\":true";
}

}  // namespace

TEST_CASE("hosts: anonymous contributions where the table allows them", "[hosts][anonymous]") {
  anonymous_event srv(GENERATE(as<std::string>{}, "memory", "redis"));
  INFO("engine: " << srv.engine.name());
  auto mod = seated(srv.port, token(auth::role::moderator, "mod", "open-floor"), "open-floor");
  auto chair = seated(srv.port, token(auth::role::chair, "chair"), "open-floor");
  auto ada = seated(srv.port, token(auth::role::participant, "ada"), "open-floor");
  auto bob = seated(srv.port, token(auth::role::participant, "bob"), "open-floor");

  // Refused where it is not allowed, and bad input: nothing published.
  CHECK(code_of(ada->request("say", say_anon("plenary", "hi"))) == "forbidden");
  CHECK(code_of(ada->request("say", "\"room\":\"open-floor\",\"text\":\"x\",\"anonymous\":1")) ==
        "bad_request");
  CHECK(code_of(ada->request("insight", "\"text\":\"x\",\"anonymous\":\"yes\"")) == "bad_request");
  auto other = seated(srv.port, token(auth::role::participant, "cem"), "synergies");
  CHECK(code_of(other->request("say", say_anon("synergies", "hi"))) == "forbidden");
  CHECK(code_of(other->request("insight", "\"text\":\"x\",\"anonymous\":true")) == "forbidden");
  CHECK_FALSE(mod->wait_type("message", 200ms));

  // Everyone, moderator and chair included, sees the pseudonym, never the name.
  REQUIRE(ada->request("say", say_anon("open-floor", "first")).boolean("ok"));
  REQUIRE(ada->request("say", say_anon("open-floor", "second")).boolean("ok"));
  REQUIRE(ada->request("insight", "\"text\":\"an idea\",\"anonymous\":true").boolean("ok"));
  REQUIRE(bob->request("say", say_anon("open-floor", "mine")).boolean("ok"));
  REQUIRE(ada->request("say", "\"room\":\"open-floor\",\"text\":\"signed\"").boolean("ok"));
  std::vector<message> seen;
  for (auto* c : {mod.get(), chair.get()}) {
    seen.clear();
    while (seen.size() < 5) {
      auto m = c->next();
      REQUIRE(m);
      if (m->type() == "message" || m->type() == "insight") seen.push_back(*m);
    }
    for (int i : {0, 1, 3}) {
      CHECK(seen[i].str("/from/name") == "Anonymous");
      CHECK(seen[i].str("/from/role") == "participant");
      CHECK(seen[i].raw().find("Name of") == std::string::npos);
      CHECK(seen[i].str("/from/id").rfind("anon-", 0) == 0);
    }
    CHECK(seen[2].str("/by/name") == "Anonymous");
    CHECK(seen[0].str("/from/id") == seen[1].str("/from/id"));  // stable per person
    CHECK(seen[2].str("/by/id") == seen[0].str("/from/id"));
    CHECK(seen[3].str("/from/id") != seen[0].str("/from/id"));  // another person
    CHECK(seen[4].str("/from/name") == "Name of ada");          // signed is signed
    CHECK(seen[4].str("/from/id") == "ada");
  }
  auto const ada_alias = seen[0].str("/from/id");
  auto const insight_id = seen[2].str("id");
  // Another table: another pseudonym, not linkable to the first.
  REQUIRE(ada->request("join", "\"table\":\"other-floor\"").boolean("ok"));
  REQUIRE(ada->request("say", say_anon("other-floor", "elsewhere")).boolean("ok"));
  auto const there = ada->wait_for([](message const& m) { return m.str("text") == "elsewhere"; });
  REQUIRE(there);
  CHECK(there->str("/from/id").rfind("anon-", 0) == 0);
  CHECK(there->str("/from/id") != ada_alias);

  // The report shows "Anonymous"; erasure finds the person's anonymous items.
  std::vector<std::pair<std::string, std::string>> const key{{"X-API-Key", "hosts-key"}};
  auto const report = http_get(srv.port, "/api/report", key);
  REQUIRE(report.status == 200);
  CHECK(report.body.find("\"by\":\"Anonymous\"") != std::string::npos);
  auto const erased = http_post(srv.port, "/api/erase", "{\"participant\":\"ada\"}", key);
  REQUIRE(erased.status == 200);
  CHECK(message(erased.body).num("removed") >= 4);  // three anonymous items and the signed one
  // The table's `deleted` events and the plenary's `erased` come from two
  // logs: with Redis in either order.
  std::set<std::string> gone;
  bool erased_seen = false;
  while (gone.size() < 4 || !erased_seen) {
    auto m = mod->next(5s);
    REQUIRE(m);
    if (m->type() == "deleted")
      gone.insert(m->has("message") ? m->str("message") : m->str("insight"));
    erased_seen |= m->type() == "erased";
  }
  CHECK(gone.count(insight_id) == 1);
  CHECK(gone.size() == 4);
}

TEST_CASE("hosts: anonymous insights count in the person's quota", "[hosts][anonymous]") {
  anonymous_event srv("memory");
  auto ada = seated(srv.port, token(auth::role::participant, "ada"), "open-floor");
  for (int i = 0; i < 20; ++i) {
    auto const fields = "\"text\":\"idea " + std::to_string(i) + "\"" +
                        (i % 2 ? std::string(",\"anonymous\":true") : std::string());
    REQUIRE(ada->request("insight", fields).boolean("ok"));
  }
  CHECK(code_of(ada->request("insight", "\"text\":\"one more\",\"anonymous\":true")) == "full");
  CHECK(code_of(ada->request("insight", "\"text\":\"one more\"")) == "full");
}
