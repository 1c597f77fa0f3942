// The chair's `balance` end to end on both engines: the permission matrix and
// bad input (a clear error, nobody moves), the moves (the most recently seated
// first, never a moderator), each moved person's `moved` and the tables'
// counts within one after it; and on two Redis nodes, repeated, a balance
// racing people hopping on their own: everyone ends at exactly one table, the
// one their own stream told them last, every `moved` is one the chair's reply
// listed, and balancing again evens the tables out.
#include "tests/support/engine.hpp"
#include "tests/support/process.hpp"
#include "tests/support/session.hpp"
#include "tests/support/tokens.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace roundtable::test;
using namespace std::chrono_literals;
namespace auth = roundtable::auth;

namespace {

constexpr std::string_view secret = "balance-test-secret-0123456789abcdef";
std::vector<std::string> const tables{"synergies", "big-data", "inclusiveness"};

std::string token(auth::role r, std::string const& sub, std::string table = {}) {
  return token_field(secret, r, sub, std::move(table));
}

std::vector<std::string> server_args() {
  return secret_server_args(secret);
}

// One move of a balance reply.
struct move_seen {
  std::string who, from, to;
};

std::vector<move_seen> moves_of(message const& reply) {
  std::vector<move_seen> out;
  simdjson::dom::array a;
  if (reply.at("/moves").get(a)) return out;
  for (auto m : a) {
    std::string_view who, from, to;
    if (m["participant"]["id"].get(who) || m["from"].get(from) || m["table"].get(to)) continue;
    out.push_back({std::string(who), std::string(from), std::string(to)});
  }
  return out;
}

// Who sits at each table, as its snapshot lists them, read by `reader` (a
// chair, who leaves again so as not to count). Leaves out the chair itself.
std::map<std::string, std::set<std::string>> seating(ws_client& reader) {
  std::map<std::string, std::set<std::string>> out;
  for (auto const& t : tables) {
    auto const r = reader.request("join", "\"table\":\"" + t + "\"");
    REQUIRE(r.boolean("ok"));
    simdjson::dom::array a;
    REQUIRE_FALSE(r.at("/snapshot/participants").get(a));
    for (auto p : a) {
      std::string_view id;
      if (!p["id"].get(id) && id != "reader") out[t].insert(std::string(id));
    }
  }
  REQUIRE(reader.request("leave").boolean("ok"));
  reader.drain(50ms);
  return out;
}

std::size_t spread(std::map<std::string, std::set<std::string>> const& s) {
  std::size_t lo = SIZE_MAX, hi = 0;
  for (auto const& t : tables) {
    auto const n = s.count(t) ? s.at(t).size() : 0;
    lo = std::min(lo, n);
    hi = std::max(hi, n);
  }
  return hi - lo;
}

}  // namespace

TEST_CASE("balance: the chair evens the tables out, the latest seated moving first",
          "[hosts][balance]") {
  engine_server const srv(GENERATE(as<std::string>{}, "memory", "redis"), server_args());
  INFO("engine: " << srv.engine.name());
  auto chair = seated(srv.port, token(auth::role::chair, "chair"), "");
  auto reader = seated(srv.port, token(auth::role::chair, "reader"), "");
  auto mod = seated(srv.port, token(auth::role::moderator, "mod", "synergies"), "synergies");
  auto mod_inc =
      seated(srv.port, token(auth::role::moderator, "mod-inc", "inclusiveness"), "inclusiveness");
  std::vector<std::unique_ptr<ws_client>> people;
  for (int i = 0; i < 6; ++i) {
    people.push_back(
        seated(srv.port, token(auth::role::participant, "p" + std::to_string(i)), "synergies"));
  }
  auto const early = seated(srv.port, token(auth::role::participant, "early"), "big-data");

  // Who may, and bad input: an error, and nobody moves.
  CHECK(code_of(people[0]->request("balance")) == "forbidden");
  CHECK(code_of(mod->request("balance")) == "forbidden");
  CHECK(code_of(chair->request("balance", "\"tables\":[\"synergies\"]")) == "bad_request");
  CHECK(code_of(chair->request("balance", "\"tables\":[\"synergies\",\"synergies\"]")) ==
        "bad_request");
  CHECK(code_of(chair->request("balance", "\"tables\":\"synergies\"")) == "bad_request");
  CHECK(code_of(chair->request("balance", "\"tables\":[\"synergies\",\"nowhere\"]")) ==
        "not_found");
  CHECK(code_of(chair->request("balance", "\"tables\":[\"synergies\",\"plenary\"]")) ==
        "bad_request");
  REQUIRE(mod_inc->request("table", "\"table\":\"inclusiveness\",\"open\":false").boolean("ok"));
  CHECK(code_of(chair->request("balance", "\"tables\":[\"synergies\",\"inclusiveness\"]")) ==
        "forbidden");
  for (auto& p : people) {
    for (auto const& m : p->drain(100ms)) CHECK(m.type() != "moved");
  }
  REQUIRE(mod_inc->request("table", "\"table\":\"inclusiveness\",\"open\":true").boolean("ok"));

  // The moderator and 6 at synergies, 1 at big-data, the moderator at
  // inclusiveness: four move, the latest seated first, each to the emptiest
  // table (the lobby's order among equals), until 3, 3 and 3.
  auto const reply = chair->request("balance");
  REQUIRE(reply.boolean("ok"));
  auto const moves = moves_of(reply);
  REQUIRE(moves.size() == 4);
  std::vector<std::string> const who{"p5", "p4", "p3", "p2"};
  std::vector<std::string> const to{"big-data", "inclusiveness", "big-data", "inclusiveness"};
  for (std::size_t i = 0; i < moves.size(); ++i) {
    CHECK(moves[i].who == who[i]);
    CHECK(moves[i].to == to[i]);
    CHECK(moves[i].from == "synergies");
    auto& c = *people[static_cast<std::size_t>(moves[i].who[1] - '0')];
    auto const moved = c.wait_type("moved");
    REQUIRE(moved);
    CHECK(moved->str("table") == moves[i].to);
    CHECK(moved->str("/by/id") == "chair");
    CHECK(moved->boolean("balance"));  // which tells the person why
    CHECK(moved->str("/snapshot/room") == moves[i].to);
  }
  for (int i = 0; i < 2; ++i) {
    for (auto const& m : people[static_cast<std::size_t>(i)]->drain(100ms))
      CHECK(m.type() != "moved");
  }
  auto const seats = seating(*reader);
  CHECK(spread(seats) <= 1);
  CHECK(seats.at("synergies").count("mod"));  // moderators stay
  CHECK(seats.at("synergies").size() == 3);
  // Balanced: nothing more to do, and the named tables alone.
  auto const again = chair->request("balance");
  REQUIRE(again.boolean("ok"));
  CHECK(moves_of(again).empty());
  CHECK(moves_of(chair->request("balance", "\"tables\":[\"big-data\",\"inclusiveness\"]")).empty());
}

namespace {

// A participant's own view: the table their stream told them last (a join's
// reply or a `moved` with its snapshot), and the `moved` events they got.
struct seat_view {
  std::string table;
  std::vector<move_seen> moved;

  void take(message const& m) {
    if (m.type() == "reply" && m.boolean("ok") && m.has("/snapshot/room")) {
      table = m.str("/snapshot/room");
    } else if (m.type() == "moved") {
      if (m.has("snapshot")) table = m.str("/snapshot/room");
      moved.push_back({"", "", m.str("table")});
    }
  }
  // Reads `c` in arrival order until a `moved` arrives.
  void read_moved(ws_client& c) {
    auto const before = moved.size();
    while (moved.size() == before) {
      auto m = c.next();
      REQUIRE(m);
      take(*m);
    }
  }
  // Reads `c` in arrival order until quiet, or until the reply `rid`; false
  // when `rid` never came. No assertions: it runs on the test's threads.
  bool read(ws_client& c, std::string const& rid = {}) {
    for (;;) {
      auto m = c.next(rid.empty() ? 500ms : 5000ms);
      if (!m) return rid.empty();
      take(*m);
      if (!rid.empty() && m->type() == "reply" && m->str("rid") == rid) return true;
    }
  }
};

}  // namespace

TEST_CASE("balance races: people hop on their own while the chair balances, two nodes",
          "[hosts][balance][redis][multi-node]") {
  redis_nodes const nodes(2, server_args());
  auto chair = seated(nodes.ports[0], token(auth::role::chair, "chair"), "");
  auto reader = seated(nodes.ports[1], token(auth::role::chair, "reader"), "");
  constexpr int n = 10, hoppers = 3;
  std::vector<std::unique_ptr<ws_client>> people;
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) {
    ids.push_back("q" + std::to_string(i));
    people.push_back(seated(nodes.ports[i % 2], token(auth::role::participant, ids.back()), ""));
  }
  for (int round = 0; round < 20; ++round) {
    INFO("round " << round);
    // Everyone at synergies, then wait until the chair's node sees them all.
    std::vector<seat_view> views(n);
    for (int i = 0; i < n; ++i) {
      REQUIRE(people[i]->request("join", "\"table\":\"synergies\"").boolean("ok"));
      people[i]->drain(20ms);
      views[i].table = "synergies";
    }
    // The hoppers hop twice each while the chair balances.
    std::vector<std::thread> threads;
    std::vector<char> replied(hoppers * 2);
    for (int i = 0; i < hoppers; ++i) {
      threads.emplace_back([&, i] {
        for (int k = 0; k < 2; ++k) {
          auto const rid = "h" + std::to_string(round) + "-" + std::to_string(k);
          auto const to = tables[static_cast<std::size_t>((i + k + round) % 3)];
          people[i]->send("{\"op\":\"join\",\"rid\":\"" + rid + "\",\"table\":\"" + to + "\"}");
          replied[static_cast<std::size_t>(i * 2 + k)] = views[i].read(*people[i], rid);
        }
      });
    }
    auto const reply = chair->request("balance");
    for (auto& t : threads) t.join();
    for (auto const r : replied) REQUIRE(r);
    REQUIRE(reply.boolean("ok"));
    auto const planned = moves_of(reply);
    for (auto const& m : planned) {
      auto const i = std::stoi(m.who.substr(1));
      if (i >= hoppers) views[i].read_moved(*people[i]);
    }
    // Each reads until quiet: side by side, or the quiet waits add up.
    std::vector<std::thread> readers;
    for (int i = 0; i < n; ++i) readers.emplace_back([&, i] { views[i].read(*people[i]); });
    for (auto& t : readers) t.join();

    // Every `moved` is one the reply listed for that person; those who did
    // not hop got exactly the moves planned for them.
    for (int i = 0; i < n; ++i) {
      INFO(ids[i]);
      std::vector<std::string> mine;
      for (auto const& m : planned) {
        if (m.who == ids[i]) mine.push_back(m.to);
      }
      CHECK(mine.size() <= 1);
      for (auto const& m : views[i].moved) {
        CHECK(std::find(mine.begin(), mine.end(), m.to) != mine.end());
      }
      if (i >= hoppers) CHECK(views[i].moved.size() == mine.size());
    }
    // Each person sits at exactly one table: the one their stream told them last.
    auto seats = seating(*reader);
    for (int i = 0; i < n; ++i) {
      INFO(ids[i] << " told " << views[i].table);
      int at = 0;
      for (auto const& [t, who] : seats) at += who.count(ids[i]) ? 1 : 0;
      CHECK(at == 1);
      CHECK(seats[views[i].table].count(ids[i]) == 1);
    }
    // Balancing again (the chair's node may still be applying the last hops)
    // evens the tables out.
    for (int k = 0; k < 5 && !moves_of(chair->request("balance")).empty(); ++k) {
      for (auto& p : people) p->drain(100ms);
    }
    for (auto& p : people) p->drain(50ms);
    CHECK(spread(seating(*reader)) <= 1);
  }
}
