// Pre-moderated insights end to end: on both engines a participant's insight
// at a pre-moderated table reaches only its author and the moderators as a
// `pending` marked `insight`, approve makes it the table's `insight`, reject
// drops it; the permission matrix and bad input of approve and reject on it.
// On two Redis nodes at once, many participants flood a pre-moderated table
// with insights up to and past the queue's bounds: each person's share and
// the table's total are exact, `full` past them, and nobody else is locked out.
#include "tests/support/engine.hpp"
#include "tests/support/process.hpp"
#include "tests/support/session.hpp"
#include "tests/support/tokens.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace roundtable::test;
using namespace std::chrono_literals;
namespace auth = roundtable::auth;

namespace {

constexpr std::string_view secret = "held-insight-test-secret-0123456789";

std::string token(auth::role r, std::string sub, std::string table = {}) {
  return token_field(secret, r, std::move(sub), std::move(table));
}

std::string text(std::string const& t) {
  return "\"text\":\"" + t + "\"";
}

std::vector<std::string> server_args() {
  return secret_server_args(secret);
}

bool held_insight(message const& m) {
  return m.type() == "pending" && m.boolean("pending") && m.boolean("insight");
}

// The held items in a table snapshot, with what the byte bound left out.
std::size_t queued(message const& join_reply) {
  simdjson::dom::array a;
  bool const listed =
      join_reply.has("/snapshot/pending") && !join_reply.at("/snapshot/pending").get(a);
  return (listed ? a.size() : 0) +
         static_cast<std::size_t>(join_reply.num("/snapshot/pending_more"));
}

}  // namespace

TEST_CASE("held insights reach only their author and the moderators until approved",
          "[moderation][premoderation]") {
  engine_server const srv(GENERATE(as<std::string>{}, "memory", "redis"), server_args());
  INFO("engine: " << srv.engine.name());
  auto mod = seated(srv.port, token(auth::role::moderator, "mod", "synergies"), "synergies");
  auto ada = seated(srv.port, token(auth::role::participant, "ada"), "synergies");
  auto bob = seated(srv.port, token(auth::role::participant, "bob"), "synergies");
  REQUIRE(mod->request("moderation", "\"table\":\"synergies\",\"premoderate\":true").boolean("ok"));
  REQUIRE(bob->wait_type("moderation"));

  REQUIRE(ada->request("insight", text("held idea")).boolean("ok"));
  auto const mine = ada->wait_for(held_insight);
  REQUIRE(mine);
  CHECK(mine->str("text") == "held idea");
  auto const queued_for_mod = mod->wait_for(held_insight);
  REQUIRE(queued_for_mod);
  auto const id = mine->str("id");
  CHECK(queued_for_mod->str("id") == id);
  CHECK_FALSE(queued_for_mod->has("/seq"));
  auto chair = seated(srv.port, token(auth::role::chair, "chair"), "");
  auto const chair_view = chair->request("join", "\"table\":\"synergies\"");
  CHECK(chair_view.str("/snapshot/pending/0/id") == id);
  CHECK(chair_view.boolean("/snapshot/pending/0/insight"));
  auto const bob_view = bob->request("join", "\"table\":\"synergies\"");
  CHECK(queued(bob_view) == 0);
  simdjson::dom::array insights;
  REQUIRE_FALSE(bob_view.at("/snapshot/insights").get(insights));
  CHECK(insights.size() == 0);

  // Deciding is the moderators' and the chair's; bad input changes nothing.
  auto const item = "\"item\":\"" + id + "\"";
  CHECK(code_of(bob->request("approve", item)) == "forbidden");
  CHECK(code_of(ada->request("reject", item)) == "forbidden");
  CHECK(code_of(mod->request("approve", "\"item\":\"i-nope\"")) == "not_found");
  CHECK(code_of(mod->request("approve", "\"item\":7")) == "bad_request");
  CHECK(code_of(mod->request("reject", "\"item\":\"" + id + "\",\"room\":\"plenary\"")) ==
        "bad_request");
  for (auto const& m : bob->drain(200ms)) CHECK(m.type() != "insight");
  REQUIRE(mod->request("approve", item).boolean("ok"));
  auto const approved = bob->wait_type("insight");
  REQUIRE(approved);
  CHECK(approved->str("id") == id);
  CHECK(approved->str("text") == "held idea");
  CHECK(approved->str("/by/id") == "ada");
  CHECK(approved->has("/seq"));
  auto const decided = ada->wait_for([&](message const& m) {
    return m.type() == "pending" && !m.boolean("pending") && m.str("id") == id;
  });
  REQUIRE(decided);
  CHECK(decided->boolean("insight"));
  CHECK(decided->boolean("approved"));
  CHECK(code_of(chair->request("reject", item)) == "not_found");
  REQUIRE(bob->request("vote", "\"insight\":\"" + id + "\"").boolean("ok"));

  REQUIRE(ada->request("insight", text("rejected idea")).boolean("ok"));
  auto const second = mod->wait_for(held_insight);
  REQUIRE(second);
  REQUIRE(chair->request("reject", "\"item\":\"" + second->str("id") + "\"").boolean("ok"));
  auto const refused = ada->wait_for([&](message const& m) {
    return m.type() == "pending" && !m.boolean("pending") && m.str("id") == second->str("id");
  });
  REQUIRE(refused);
  CHECK_FALSE(refused->boolean("approved"));
  for (auto const& m : bob->drain(200ms)) {
    CHECK(m.type() != "pending");
    CHECK(m.str("text") != "rejected idea");
  }
}

namespace {

// `flooders` post `tries` insights each at once (from two nodes) while
// `meanwhile` runs; the counts of ok and full per flooder, and its code.
struct flood_result {
  std::vector<int> ok;
  std::vector<int> full;
  std::string meanwhile;
};

flood_result flood(std::vector<std::unique_ptr<ws_client>>& flooders, int tries,
                   std::function<std::string()> const& meanwhile) {
  flood_result r;
  r.ok.assign(flooders.size(), 0);
  r.full.assign(flooders.size(), 0);
  std::vector<std::thread> threads;
  for (std::size_t f = 0; f < flooders.size(); ++f) {
    threads.emplace_back([&, f] {
      for (int i = 0; i < tries; ++i) {
        auto const code = code_of(flooders[f]->request(
            "insight", text("f" + std::to_string(f) + "-" + std::to_string(i))));
        if (code == "ok") ++r.ok[f];
        if (code == "full") ++r.full[f];
      }
    });
  }
  r.meanwhile = meanwhile();
  for (auto& t : threads) t.join();
  return r;
}

}  // namespace

TEST_CASE("held insight races: a flood from two nodes meets the queue's bounds exactly",
          "[moderation][premoderation][redis][multi-node]") {
  redis_nodes const nodes(2, server_args());
  auto chair = seated(nodes.ports[1], token(auth::role::chair, "chair"), "");
  auto const per_person = 20;  // room::max_held_per_participant
  auto const per_table = 200;  // room::max_held
  // Nine flood past their share (180 held), a tenth fills what is left.
  std::vector<std::unique_ptr<ws_client>> flooders;
  for (int f = 0; f < 9; ++f) {
    flooders.push_back(
        seated(nodes.ports[f % 2], token(auth::role::participant, "f" + std::to_string(f)), ""));
  }
  std::vector<std::unique_ptr<ws_client>> last;
  last.push_back(seated(nodes.ports[1], token(auth::role::participant, "last"), ""));
  auto ann = seated(nodes.ports[0], token(auth::role::participant, "ann"), "");
  auto watch = seated(nodes.ports[1], token(auth::role::participant, "watch"), "");

  for (int round = 0; round < 20; ++round) {
    INFO("round " << round);
    auto const table = "flood-" + std::to_string(round);
    auto const at = "\"table\":\"" + table + "\"";
    REQUIRE(chair->request("create_table", at + ",\"topic\":\"Flood\"").boolean("ok"));
    REQUIRE(chair->request("moderation", at + ",\"premoderate\":true").boolean("ok"));
    // The other node learns of the table from the plenary's log: join once
    // each connection has heard of it.
    auto const join = [&](ws_client& c) {
      REQUIRE(c.wait_for([&](message const& m) {
        return m.type() == "table_created" && m.str("table") == table;
      }));
      REQUIRE(c.request("join", at).boolean("ok"));
    };
    for (auto* c : {chair.get(), ann.get(), watch.get(), last[0].get()}) join(*c);
    for (auto& f : flooders) join(*f);
    for (auto* c : {chair.get(), ann.get(), watch.get()}) c->drain(50ms);

    auto const say_still_open = [&] {
      return code_of(chair->request("say", "\"room\":\"" + table + "\"," + text("open")));
    };
    auto const first = flood(flooders, per_person + 4,
                             [&] { return code_of(ann->request("insight", text("bystander"))); });
    CHECK(first.meanwhile == "ok");  // nobody else is locked out
    for (std::size_t f = 0; f < flooders.size(); ++f) {
      CHECK(first.ok[f] == per_person);
      CHECK(first.full[f] == 4);
    }
    // The tenth has room for 19 (9 x 20 + ann's 1 + 19 = 200): the table's
    // bound; the chair talks on meanwhile.
    auto const second = flood(last, per_person + 2, say_still_open);
    CHECK(second.ok[0] == per_table - 9 * per_person - 1);
    CHECK(second.full[0] == 3);
    CHECK(second.meanwhile == "ok");
    CHECK(code_of(watch->request("insight", text("past the bound"))) == "full");
    CHECK(code_of(ann->request("say", "\"room\":\"" + table + "\"," + text("too"))) == "full");
    CHECK(say_still_open() == "ok");
    CHECK(queued(chair->request("join", at)) == static_cast<std::size_t>(per_table));
    // What the chair saw: one `pending` per held insight; the watcher none,
    // and of the table's talk only the chair's two messages.
    int pending = 0;
    for (auto const& m : chair->drain(300ms)) pending += held_insight(m) ? 1 : 0;
    CHECK(pending == per_table);
    int said = 0;
    for (auto const& m : watch->drain(100ms)) {
      CHECK(m.type() != "insight");
      CHECK(m.type() != "pending");
      said += m.type() == "message" ? 1 : 0;
    }
    CHECK(said == 2);
  }
}
