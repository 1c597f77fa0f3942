// Networking rounds end to end on both engines: the chair starts rounds of
// random groups, each person not opted out is seated in exactly one group
// room and told who is in it, the group's chat works (across nodes too), the
// chair stops them; the permission matrix and bad input (a clear error,
// nothing starts); round after round, the lobby, the hello and the node's
// rooms stay flat (group rooms are reused, never listed); a reconnect
// mid-round gets its group back; on two Redis nodes, a start racing opt-outs
// at the same instant, repeated: every person in exactly one group or opted
// out, and every member's view of the groups the same.
#include "tests/support/engine.hpp"
#include "tests/support/process.hpp"
#include "tests/support/session.hpp"
#include "tests/support/tokens.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

using namespace roundtable::test;
using namespace std::chrono_literals;
namespace auth = roundtable::auth;

namespace {

constexpr std::string_view secret = "rounds-test-secret-0123456789abcdef";

std::string token(auth::role r, std::string sub, std::string table = {}) {
  return token_field(secret, r, std::move(sub), std::move(table));
}

std::vector<std::string> server_args() {
  return secret_server_args(secret, {});
}

struct person {
  std::string id;
  std::unique_ptr<ws_client> ws;
};

// The group `p` was told of: room and member ids; empty room when none came.
struct group_seen {
  std::string room;
  std::set<std::string> members;
};

group_seen group_of(ws_client& c, std::chrono::milliseconds timeout = 8s) {
  group_seen g;
  auto const m = c.wait_type("group", timeout);
  if (!m) return g;
  g.room = m->str("room");
  for (std::size_t i = 0;; ++i) {
    auto const id = m->str("/members/" + std::to_string(i) + "/id");
    if (id.empty()) break;
    g.members.insert(id);
  }
  return g;
}

// What each person was told: those who may be grouped first; then, once
// their groups came (one batch of the plenary), the opted-out ones briefly.
std::map<std::string, group_seen> groups_of(std::vector<person>& people,
                                            std::set<std::string> const& out = {}) {
  std::map<std::string, group_seen> seen;
  for (bool const opted : {false, true}) {
    for (auto& p : people) {
      if (out.count(p.id) == static_cast<std::size_t>(opted))
        seen[p.id] = group_of(*p.ws, opted ? 500ms : 8s);
    }
  }
  return seen;
}

// Every person's group is the same set seen from each of its members, the
// groups are disjoint, and each person is in one (or in none when `may_miss`
// says they opted out).
void check_groups(std::vector<person>& people, std::map<std::string, group_seen> const& seen,
                  std::set<std::string> const& may_miss) {
  std::map<std::string, std::string> room_of;
  for (auto const& p : people) {
    auto const& g = seen.at(p.id);
    if (g.room.empty()) {
      CHECK(may_miss.count(p.id) == 1);
      continue;
    }
    CHECK(g.room.rfind("group-", 0) == 0);
    CHECK(g.members.count(p.id) == 1);
    CHECK(g.members.size() >= 2);
    for (auto const& m : g.members) {
      auto const [it, fresh] = room_of.emplace(m, g.room);
      CHECK(it->second == g.room);  // nobody in two groups
      if (seen.count(m)) CHECK(seen.at(m).members == g.members);
    }
  }
}

// The chair, connected and never grouped.
std::unique_ptr<ws_client> opted_out_chair(int port) {
  auto chair = seated(port, token(auth::role::chair, "chair"), "");
  REQUIRE(chair->request("networking", R"("opt_out":true)").boolean("ok"));
  return chair;
}

// Participants `ids`, each connected (and seated at `table` when given).
std::vector<person> connected(int port, std::vector<std::string> const& ids,
                              std::string const& table = {}) {
  std::vector<person> people;
  for (auto const& id : ids)
    people.push_back({id, seated(port, token(auth::role::participant, id), table)});
  return people;
}

// The /metrics gauge of the rooms a node holds.
long long rooms_held(int port) {
  return metric(port, "roundtable_rooms");
}

// One round started and stopped by the chair: everyone not opted out grouped.
void one_round(ws_client& chair, std::vector<person>& people) {
  REQUIRE(chair.request("networking", R"("size":2,"minutes":5)").boolean("ok"));
  auto const seen = groups_of(people);
  check_groups(people, seen, {});
  for (auto& p : people) REQUIRE(p.ws->wait_type("moved"));
  REQUIRE(chair.request("networking", R"("stop":true)").boolean("ok"));
  REQUIRE(chair.wait_for(
      [](message const& m) { return m.type() == "rounds" && !m.boolean("running"); }));
  for (auto& p : people) p.ws->drain(50ms);
}

}  // namespace

TEST_CASE("rounds: who may start and stop them, and bad input", "[rounds]") {
  engine_server const srv(GENERATE(as<std::string>{}, "memory", "redis"), server_args());
  INFO("engine: " << srv.engine.name());
  auto chair = seated(srv.port, token(auth::role::chair, "chair"), "");
  auto mod = seated(srv.port, token(auth::role::moderator, "mod", "synergies"), "");
  auto ada = seated(srv.port, token(auth::role::participant, "ada"), "");

  auto const start = R"("size":2,"minutes":5)";
  CHECK(code_of(ada->request("networking", start)) == "forbidden");
  CHECK(code_of(mod->request("networking", start)) == "forbidden");
  CHECK(code_of(ada->request("networking", R"("stop":true)")) == "forbidden");
  CHECK(code_of(chair->request("networking", R"("stop":true)")) == "not_found");
  CHECK(code_of(chair->request("networking", "")) == "bad_request");
  CHECK(code_of(chair->request("networking", R"("size":1,"minutes":5)")) == "bad_request");
  CHECK(code_of(chair->request("networking", R"("size":5,"minutes":5)")) == "bad_request");
  CHECK(code_of(chair->request("networking", R"("size":2,"minutes":0)")) == "bad_request");
  CHECK(code_of(chair->request("networking", R"("size":2,"minutes":31)")) == "bad_request");
  CHECK(code_of(chair->request("networking", R"("size":2,"minutes":5,"rounds":11)")) ==
        "bad_request");
  CHECK(code_of(chair->request("networking", R"("size":2,"minutes":5,"stop":true)")) ==
        "bad_request");
  CHECK(code_of(ada->request("networking", R"("opt_out":"yes")")) == "bad_request");
  for (auto* c : {chair.get(), mod.get(), ada.get()}) CHECK_FALSE(c->wait_type("rounds", 300ms));
}

TEST_CASE("rounds: groups with their chat, opt-outs, and stop", "[rounds]") {
  engine_server const srv(GENERATE(as<std::string>{}, "memory", "redis"), server_args());
  INFO("engine: " << srv.engine.name());
  auto chair = opted_out_chair(srv.port);
  auto people = connected(srv.port, {"ada", "bob", "cem", "dia", "eve"}, "synergies");
  REQUIRE(people[4].ws->request("networking", R"("opt_out":true)").boolean("ok"));

  REQUIRE(chair->request("networking", R"("size":2,"minutes":5,"rounds":2)").boolean("ok"));
  auto const seen = groups_of(people, {"eve"});
  check_groups(people, seen, {"eve"});
  CHECK(seen.at("eve").room.empty());
  CHECK(seen.at("ada").members.size() == 2);  // 4 people in pairs

  // Seated in the group's room, as by a move; its chat reaches the group only.
  for (auto& p : people) {
    if (p.id == "eve") continue;
    auto const moved = p.ws->wait_type("moved");
    REQUIRE(moved);
    CHECK(moved->str("/snapshot/room") == seen.at(p.id).room);
  }
  auto& ada = *people[0].ws;
  auto const room = seen.at("ada").room;
  REQUIRE(ada.request("say", "\"room\":\"" + room + "\",\"text\":\"hello group\"").boolean("ok"));
  for (auto& p : people) {
    auto const m = p.ws->wait_for(
        [](message const& x) { return x.type() == "message" && x.str("text") == "hello group"; },
        p.id == "ada" || seen.at("ada").members.count(p.id) ? 5s : 300ms);
    CHECK(bool(m) == (seen.at("ada").members.count(p.id) == 1));
  }
  CHECK(code_of(people[4].ws->request("say", "\"room\":\"" + room + "\",\"text\":\"x\"")) ==
        "forbidden");
  auto const running = chair->wait_for(
      [](message const& m) { return m.type() == "rounds" && !m.boolean("gathering"); });
  REQUIRE(running);
  CHECK(running->num("round") == 1);
  CHECK(running->num("groups") == 2);

  // Stop: the rooms close, everyone is back in the plenary.
  REQUIRE(chair->request("networking", R"("stop":true)").boolean("ok"));
  auto const stopped = chair->wait_for(
      [](message const& m) { return m.type() == "rounds" && !m.boolean("running"); });
  REQUIRE(stopped);
  CHECK(code_of(ada.request("say", "\"room\":\"" + room + "\",\"text\":\"x\"")) == "forbidden");
  CHECK(code_of(ada.request("join", "\"table\":\"" + room + "\"")) == "forbidden");
  CHECK(ada.request("say", "\"room\":\"plenary\",\"text\":\"back\"").boolean("ok"));
  CHECK(code_of(chair->request("networking", R"("stop":true)")) == "not_found");
}

TEST_CASE("rounds: round after round, the lobby and the rooms stay flat", "[rounds]") {
  engine_server const srv(GENERATE(as<std::string>{}, "memory", "redis"), server_args());
  INFO("engine: " << srv.engine.name());
  auto chair = opted_out_chair(srv.port);
  auto people = connected(srv.port, {"ada", "bob", "cem", "dia"});
  auto const hello_size = [&] {
    ws_client fresh(srv.port);
    auto const reply = fresh.hello("x", token(auth::role::participant, "newcomer"));
    REQUIRE(reply.boolean("ok"));
    for (std::string g : {"group-1", "group-2"}) CHECK_FALSE(table_row(reply, g));
    return reply.raw().size();
  };
  one_round(*chair, people);  // the first round creates the group rooms
  auto const rooms = rooms_held(srv.port);
  auto const hello = hello_size();
  CHECK(rooms >= 3);
  for (int round = 0; round < 3; ++round) {
    INFO("round " << round);
    one_round(*chair, people);
    CHECK(rooms_held(srv.port) == rooms);
    // A fresh client still joins, told as much as before (a seq may gain a digit).
    CHECK(hello_size() <= hello + 8);
  }
  // Nobody reaches a group room between rounds, nor makes a table of its name.
  CHECK(code_of(people[0].ws->request("join", R"("table":"group-1")")) == "forbidden");
  CHECK(code_of(chair->request("create_table", R"("table":"group-9","topic":"x")")) ==
        "bad_request");
}

TEST_CASE("rounds: a reconnect mid-round gets its group back", "[rounds]") {
  engine_server const srv(GENERATE(as<std::string>{}, "memory", "redis"), server_args());
  INFO("engine: " << srv.engine.name());
  auto chair = opted_out_chair(srv.port);
  auto people = connected(srv.port, {"ada", "bob"});
  auto cem = seated(srv.port, token(auth::role::participant, "cem"), "");
  REQUIRE(cem->request("networking", R"("opt_out":true)").boolean("ok"));
  REQUIRE(chair->request("networking", R"("size":2,"minutes":5)").boolean("ok"));
  auto const group = group_of(*people[0].ws);
  REQUIRE(group.members == std::set<std::string>{"ada", "bob"});
  auto const moved = people[0].ws->wait_type("moved");
  REQUIRE(moved);
  REQUIRE(people[0]
              .ws->request("say", "\"room\":\"" + group.room + "\",\"text\":\"before\"")
              .boolean("ok"));
  CHECK_FALSE(people[0].ws->wait_type("group", 300ms));  // one group event per round

  // A fresh hello (a reload that lost its state): the group in the snapshot.
  people[0].ws->close();
  ws_client again(srv.port);
  auto const reply = again.hello("x", token(auth::role::participant, "ada"));
  REQUIRE(reply.boolean("ok"));
  CHECK(reply.boolean("/plenary/rounds/running"));
  CHECK_FALSE(reply.boolean("/plenary/rounds/opted_out"));
  CHECK(reply.str("/plenary/rounds/group/room") == group.room);
  CHECK(reply.num("/plenary/rounds/group/ends_at") > 0);
  CHECK(reply.num("/plenary/rounds/group/ends_at") == reply.num("/plenary/rounds/ends_at"));
  CHECK(reply.str("/plenary/rounds/group/members/0/id") != "");
  auto const back = again.request("join", "\"table\":\"" + group.room + "\"");
  REQUIRE(back.boolean("ok"));
  CHECK(back.raw().find("before") != std::string::npos);  // the group's chat so far

  // A resume of the group room (a reload that kept its state): seated again.
  again.close();
  ws_client resumed(srv.port);
  auto const r2 =
      resumed.hello("x", token(auth::role::participant, "ada") + ",\"resume\":{\"" + group.room +
                             "\":{\"epoch\":" + std::to_string(moved->num("/snapshot/epoch")) +
                             ",\"seq\":" + std::to_string(moved->num("/snapshot/seq")) + "}}");
  REQUIRE(r2.boolean("ok"));
  CHECK(r2.str("/table/room") == group.room);
  CHECK(r2.str("/plenary/rounds/group/room") == group.room);

  // The opted-out and the chair: no group; the chair sees the rounds run.
  ws_client cem2(srv.port);
  auto const r3 = cem2.hello("x", token(auth::role::participant, "cem"));
  CHECK(r3.boolean("/plenary/rounds/opted_out"));
  CHECK(r3.at("/plenary/rounds/group").is_null());
  ws_client chair2(srv.port);
  auto const r4 = chair2.hello("x", token(auth::role::chair, "chair"));
  CHECK(r4.boolean("/plenary/rounds/running"));
  CHECK(r4.num("/plenary/rounds/groups") == 1);
  REQUIRE(chair->request("networking", R"("stop":true)").boolean("ok"));
}

TEST_CASE("rounds: one group across two nodes, its chat on both", "[rounds][redis]") {
  two_nodes nodes(server_args());
  auto chair = seated(nodes.a.port, token(auth::role::chair, "chair"), "");
  REQUIRE(chair->request("networking", R"("opt_out":true)").boolean("ok"));
  std::vector<person> people;
  int i = 0;
  for (std::string id : {"ada", "bob", "cem", "dia", "eve"}) {
    auto const port = i++ % 2 ? nodes.b.port : nodes.a.port;
    people.push_back({id, seated(port, token(auth::role::participant, id), "")});
  }
  // Five in groups of four: one group of five, on both nodes.
  REQUIRE(chair->request("networking", R"("size":4,"minutes":5)").boolean("ok"));
  auto const seen = groups_of(people);
  check_groups(people, seen, {});
  REQUIRE(seen.at("ada").members.size() == 5);
  for (auto& p : people) REQUIRE(p.ws->wait_type("moved"));
  auto const room = seen.at("ada").room;
  REQUIRE(
      people[1].ws->request("say", "\"room\":\"" + room + "\",\"text\":\"from B\"").boolean("ok"));
  for (auto& p : people) {
    CHECK(p.ws->wait_for(
        [](message const& m) { return m.type() == "message" && m.str("text") == "from B"; }));
  }
  REQUIRE(chair->request("networking", R"("stop":true)").boolean("ok"));
}

namespace {

void race_opt_outs(int repetitions) {
  two_nodes nodes(server_args());
  auto chair = seated(nodes.a.port, token(auth::role::chair, "chair"), "");
  REQUIRE(chair->request("networking", R"("opt_out":true)").boolean("ok"));
  std::vector<person> people;
  for (int i = 0; i < 6; ++i) {
    auto const id = "p" + std::to_string(i);
    people.push_back(
        {id, seated(i % 2 ? nodes.b.port : nodes.a.port, token(auth::role::participant, id), "")});
  }
  for (int round = 0; round < repetitions; ++round) {
    INFO("round " << round);
    // At the same instant: the chair starts on A, two people opt out (one per
    // node), and one opts back in.
    chair->send(R"({"op":"networking","rid":"go","size":2,"minutes":5})");
    std::set<std::string> out;
    for (int k = 0; k < 2; ++k) {
      auto& p = people[(round + k) % people.size()];
      p.ws->send(R"({"op":"networking","rid":"o","opt_out":true})");
      out.insert(p.id);
    }
    auto const go = chair->wait_type("reply");
    REQUIRE(go);
    REQUIRE(go->boolean("ok"));
    auto const seen = groups_of(people, out);
    check_groups(people, seen, out);
    std::size_t grouped = 0;
    for (auto const& [id, g] : seen) grouped += g.room.empty() ? 0 : 1;
    CHECK(grouped >= 4);  // those who did not opt out

    REQUIRE(chair->request("networking", R"("stop":true)").boolean("ok"));
    for (auto& p : people) {
      REQUIRE(p.ws->request("networking", R"("opt_out":false)").boolean("ok"));
      p.ws->drain(50ms);
    }
    chair->drain(50ms);
  }
}

}  // namespace

TEST_CASE("rounds: a start racing opt-outs on two nodes, repeated", "[rounds][redis]") {
  race_opt_outs(5);
}

TEST_CASE("rounds: a start racing opt-outs on two nodes, many times", "[.stress]") {
  race_opt_outs(40);
}
