// Competing ops at the same instant (issue 16): hand raises, joins of a full
// table, votes on one insight, failures while Redis is down, and creates of
// one new table. Every client connects and says hello first; then every
// client's frame is written before any reply is read, so the ops meet in the
// server. Each scenario repeats many rounds and checks the final state and
// every event each member saw. Three nodes over one real redis-server, and the
// memory engine with several connections on one node.
#include "tests/support/banner.hpp"
#include "tests/support/process.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <thread>

using namespace roundtable::test;
using namespace std::chrono_literals;

namespace {

using client_ptr = std::unique_ptr<ws_client>;

// The event for these tests: the demo's tables plus numbered ones, so that
// every round has a fresh table known to every node from the start.
std::string write_event(temp_dir const& dir) {
  std::string json = R"({"id":"race","title":"Race","phase":"roundtables","tables":[)";
  json += R"({"id":"synergies","topic":"Synergies"})";
  for (int i = 0; i < 30; ++i)
    json += R"(,{"id":"cap-)" + std::to_string(i) + R"(","topic":"Two seats","capacity":2})";
  for (int i = 0; i < 5; ++i)
    json += R"(,{"id":"vote-)" + std::to_string(i) + R"(","topic":"Votes"})";
  json += "]}";
  auto const path = dir.path() + "/event.json";
  std::ofstream(path) << json;
  return path;
}

// One event served by `nodes` servers: over one redis-server (redis), or a
// single memory-engine node (memory; `nodes` is then 1).
class cluster {
 public:
  cluster(std::string const& engine, int nodes, std::vector<std::string> extra = {},
          std::vector<std::string> redis_args = {})
      : redis_args_(std::move(redis_args)) {
    auto const event = write_event(dir_);
    if (engine == "redis") redis_ = std::make_unique<redis_process>(redis_args_);
    for (int i = 0; i < nodes; ++i) {
      std::vector<std::string> a{"--event",   event, "--rate-limit", "0",
                                 "--api-key", "k",   "--threads",    "2"};
      if (redis_) {
        a.insert(a.end(), {"--redis", "redis://127.0.0.1:" + std::to_string(redis_->port),
                           "--node-id", "n" + std::to_string(i), "--presence-ttl", "3"});
      } else if (std::find(extra.begin(), extra.end(), "--data-dir") == extra.end()) {
        a.push_back("--ephemeral");
      }
      a.insert(a.end(), extra.begin(), extra.end());
      servers_.push_back(std::make_unique<server_process>(a));
    }
    chair_token_ = printed_token(*servers_[0], "chair link");
  }
  int port(std::size_t i) const { return servers_[i % servers_.size()]->port; }
  std::size_t size() const { return servers_.size(); }
  std::string const& chair_token() const { return chair_token_; }
  server_process& server(std::size_t i) { return *servers_[i]; }

  // kill -9 the redis-server and wait until every node says it is not ready.
  void kill_redis() {
    redis_->proc->signal(SIGKILL);
    redis_->proc->wait();
    wait_ready(503);
  }
  // Starts it again on its port (with its persistence arguments) and waits
  // until every node is ready again.
  void restart_redis() {
    auto const port = redis_->port;
    redis_.reset();
    redis_ = std::make_unique<redis_process>(redis_args_, port);
    wait_ready(200);
  }

  // A client on node `i % size()` that has said hello.
  client_ptr connect(std::size_t i, std::string const& name, std::string const& extra = {}) {
    auto c = std::make_unique<ws_client>(port(i));
    auto r = c->hello(name, extra);
    REQUIRE(r.boolean("ok"));
    return c;
  }
  client_ptr chair(std::size_t i) {
    return connect(i, "Chair", "\"token\":\"" + chair_token_ + "\"");
  }

 private:
  // Up to 30 s a node: reconnecting backs off up to 5 s, then every room
  // reloads, and a loaded CI machine stretches both.
  void wait_ready(unsigned status) {
    for (std::size_t n = 0; n < size(); ++n) {
      for (int i = 0; i < 1500 && http_get(port(n), "/readyz").status != status; ++i)
        std::this_thread::sleep_for(20ms);
      REQUIRE(http_get(port(n), "/readyz").status == status);
    }
  }

  temp_dir dir_;
  std::vector<std::string> redis_args_;
  std::unique_ptr<redis_process> redis_;
  std::vector<std::unique_ptr<server_process>> servers_;
  std::string chair_token_;
};

// Writes each client's frame, then reads each one's reply: the ops are all in
// flight before the first answer. Events read meanwhile stay queued.
std::vector<message> fire(std::vector<ws_client*> const& clients,
                          std::vector<std::string> const& frames) {
  for (std::size_t i = 0; i < clients.size(); ++i) clients[i]->send(frames[i]);
  std::vector<message> replies;
  for (auto* c : clients) {
    auto r = c->wait_type("reply", 10s);
    REQUIRE(r);
    replies.push_back(std::move(*r));
  }
  return replies;
}

// Reads until a message matches `pred`; returns everything read, the match
// last. Fails the test on timeout.
std::vector<message> read_until(ws_client& c, std::function<bool(message const&)> const& pred,
                                std::chrono::milliseconds timeout = 5s) {
  std::vector<message> seen;
  auto const deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto const left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    auto m = left.count() > 0 ? c.next(left) : std::nullopt;
    if (!m) {
      std::string got;
      for (auto const& s : seen) got += s.raw() + "\n";
      FAIL("timed out; read so far:\n" << got);
    }
    seen.push_back(std::move(*m));
    if (pred(seen.back())) return seen;
  }
}

std::vector<std::string> ids_in(message const& m, std::string_view pointer) {
  std::vector<std::string> out;
  simdjson::dom::array arr;
  if (m.at(pointer).get(arr)) return out;
  for (auto e : arr) {
    std::string_view id;
    if (!e["id"].get(id)) out.emplace_back(id);
  }
  return out;
}

std::string table_frame(std::string const& op, std::string const& table) {
  return R"({"op":")" + op + R"(","table":")" + table + R"("})";
}

// The count of `id` in each `tables` lobby event among `seen`.
std::vector<std::int64_t> lobby_counts(std::deque<message> const& seen, std::string const& id) {
  std::vector<std::int64_t> out;
  for (auto const& m : seen) {
    if (m.type() != "tables") continue;
    simdjson::dom::array arr;
    if (m.at("/tables").get(arr)) continue;
    for (auto e : arr) {
      std::string_view tid;
      std::int64_t n = 0;
      if (!e["id"].get(tid) && tid == id && !e["count"].get(n)) out.push_back(n);
    }
  }
  return out;
}

// --- hands ----------------------------------------------------------------

// `raisers` participants over every node raise their hands at once, `rounds`
// times. Each member's `hands` events grow the queue one raised hand at a
// time, keeping what was there; the last holds every hand; so does a fresh
// joiner's snapshot. Then every hand goes down again for the next round.
void hands_race(cluster& cl, int raisers, int rounds) {
  std::vector<client_ptr> members;
  std::vector<ws_client*> all;
  std::map<std::string, ws_client*> by_id;
  for (int i = 0; i < raisers; ++i) {
    auto c = std::make_unique<ws_client>(cl.port(static_cast<std::size_t>(i)));
    auto const id = c->hello("R" + std::to_string(i)).str("/you/id");
    REQUIRE(c->request("join", "\"table\":\"synergies\"").boolean("ok"));
    by_id[id] = c.get();
    all.push_back(c.get());
    members.push_back(std::move(c));
  }
  for (auto* c : all) c->drain(300ms);  // the others' presence
  std::vector<std::string> const up(all.size(), R"({"op":"hand","up":true})");
  std::vector<std::string> const down(all.size(), R"({"op":"hand","up":false})");
  for (int round = 0; round < rounds; ++round) {
    INFO("round " << round);
    for (auto const& r : fire(all, up)) REQUIRE(r.boolean("ok"));
    for (auto* c : all) {
      auto seen = read_until(*c, [&](message const& m) {
        return m.type() == "hands" && ids_in(m, "/queue").size() == all.size();
      });
      std::vector<std::string> queue;
      std::int64_t last_seq = 0;
      for (auto const& m : seen) {
        if (m.type() != "hands") continue;
        CHECK(m.num("seq") > last_seq);
        last_seq = m.num("seq");
        auto const next = ids_in(m, "/queue");
        // One more raised hand, everything before it kept in place.
        REQUIRE(next.size() == queue.size() + 1);
        CHECK(std::equal(queue.begin(), queue.end(), next.begin()));
        CHECK(by_id.count(next.back()) == 1);
        queue = next;
      }
      std::set<std::string> const distinct(queue.begin(), queue.end());
      CHECK(distinct.size() == all.size());
    }
    auto fresh = std::make_unique<ws_client>(cl.port(static_cast<std::size_t>(round)));
    fresh->hello("Fresh");
    auto snap = fresh->request("join", "\"table\":\"synergies\"");
    REQUIRE(snap.boolean("ok"));
    CHECK(ids_in(snap, "/snapshot/hands").size() == all.size());
    fresh->close();
    for (auto const& r : fire(all, down)) REQUIRE(r.boolean("ok"));
    for (auto* c : all) {
      // The fresh joiner's presence is read here or in the next round.
      read_until(
          *c, [](message const& m) { return m.type() == "hands" && ids_in(m, "/queue").empty(); });
    }
  }
}

// --- capacity ---------------------------------------------------------------

// Five people join a table of two seats at once over every node, `rounds`
// times (one table per round): two are seated, three get `full`; no lobby
// event ever shows more than two; presence names only the seated; the report
// counts two participants ever seated.
void capacity_race(cluster& cl, int rounds) {
  std::vector<client_ptr> lobby;  // one watcher in the plenary per node
  for (std::size_t n = 0; n < cl.size(); ++n) lobby.push_back(cl.connect(n, "Lobby"));
  for (int round = 0; round < rounds; ++round) {
    INFO("round " << round);
    auto const table = "cap-" + std::to_string(round);
    std::vector<client_ptr> people;
    std::vector<ws_client*> all;
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i) {
      auto c = std::make_unique<ws_client>(cl.port(static_cast<std::size_t>(i)));
      ids.push_back(c->hello("P" + std::to_string(i)).str("/you/id"));
      all.push_back(c.get());
      people.push_back(std::move(c));
    }
    auto const replies =
        fire(all, std::vector<std::string>(all.size(), table_frame("join", table)));
    std::set<std::string> seated;
    for (std::size_t i = 0; i < replies.size(); ++i) {
      if (replies[i].boolean("ok")) {
        seated.insert(ids[i]);
      } else {
        CHECK(replies[i].str("/error/code") == "full");
      }
    }
    REQUIRE(seated.size() == 2);
    // Presence and snapshots name only the seated.
    std::this_thread::sleep_for(100ms);
    for (std::size_t i = 0; i < all.size(); ++i) {
      for (auto const& m : all[i]->drain(20ms)) {
        if (m.type() == "presence" && m.has("joined"))
          CHECK(seated.count(m.str("/joined/id")) == 1);
      }
      if (replies[i].boolean("ok")) {
        for (auto const& id : ids_in(replies[i], "/snapshot/participants"))
          CHECK(seated.count(id) == 1);
      }
    }
    auto report = http_get(cl.port(0), "/api/report", {{"X-Api-Key", "k"}});
    REQUIRE(report.status == 200);
    message const rep(report.body);
    simdjson::dom::array tables;
    REQUIRE(!rep.at("/tables").get(tables));
    for (auto t : tables) {
      std::string_view id;
      std::int64_t ever = 0;
      if (!t["id"].get(id) && id == table && !t["participants"].get(ever)) CHECK(ever == 2);
    }
  }
  std::this_thread::sleep_for(400ms);  // the last lobby event
  for (auto& w : lobby) {
    auto const seen = w->drain(100ms);
    for (int round = 0; round < rounds; ++round) {
      auto const counts = lobby_counts(seen, "cap-" + std::to_string(round));
      for (auto n : counts) CHECK(n <= 2);
    }
  }
}

// --- votes ------------------------------------------------------------------

// Ten people vote for one insight at once over every node, one table per
// round: each member sees the insight's events in seq order with votes 1, 2,
// ... 10; a fresh snapshot and the report say 10.
void votes_race(cluster& cl, int rounds) {
  for (int round = 0; round < rounds; ++round) {
    INFO("round " << round);
    auto const table = "vote-" + std::to_string(round);
    std::vector<client_ptr> voters;
    std::vector<ws_client*> all;
    for (int i = 0; i < 10; ++i) {
      auto c = cl.connect(static_cast<std::size_t>(i), "V" + std::to_string(i));
      REQUIRE(c->request("join", "\"table\":\"" + table + "\"").boolean("ok"));
      all.push_back(c.get());
      voters.push_back(std::move(c));
    }
    REQUIRE(all[0]->request("insight", "\"text\":\"One idea\"").boolean("ok"));
    std::string insight;
    for (auto* c : all) {
      auto seen = read_until(*c, [](message const& m) { return m.type() == "insight"; });
      insight = seen.back().str("id");
      CHECK(seen.back().num("votes") == 0);
    }
    auto const vote = R"({"op":"vote","insight":")" + insight + R"("})";
    for (auto const& r : fire(all, std::vector<std::string>(all.size(), vote)))
      REQUIRE(r.boolean("ok"));
    for (auto* c : all) {
      auto seen = read_until(
          *c, [](message const& m) { return m.type() == "insight" && m.num("votes") >= 10; });
      std::int64_t applied = 0, last_seq = 0;
      for (auto const& m : seen) {
        if (m.type() != "insight") continue;
        CHECK(m.str("id") == insight);
        CHECK(m.num("seq") > last_seq);
        last_seq = m.num("seq");
        CHECK(m.num("votes") == ++applied);
      }
      CHECK(applied == 10);
    }
    auto fresh = cl.connect(static_cast<std::size_t>(round + 1), "Fresh");
    auto snap = fresh->request("join", "\"table\":\"" + table + "\"");
    CHECK(snap.num("/snapshot/insights/0/votes") == 10);
    auto report = http_get(cl.port(0), "/api/report", {{"X-Api-Key", "k"}});
    REQUIRE(report.status == 200);
    message const rep(report.body);
    simdjson::dom::array tables;
    REQUIRE(!rep.at("/tables").get(tables));
    for (auto t : tables) {
      std::string_view id;
      std::int64_t votes = -1;
      if (!t["id"].get(id) && id == table) {
        CHECK(!t.at_pointer("/insights/0/votes").get(votes));
        CHECK(votes == 10);
      }
    }
  }
}

// --- failures while Redis is down -------------------------------------------

std::string say_frame(std::string const& text) {
  return R"({"op":"say","room":"synergies","text":")" + text + R"("})";
}

// Redis goes down, a member disconnects (its `presence` left fails and nobody
// waits for it), a member on another node says something (its reply is an
// error, or ok if it got through), Redis comes back, then a member on the
// leaver's node and one on a third node talk at once. Every error reaches the client whose op
// failed; the ops after the outage all succeed (nobody gets `unavailable` for someone else's
// failure); an observer on a third node sees a message exactly when its reply was ok.
void failure_race(cluster& cl, int rounds) {
  auto b = cl.connect(0, "B"), c = cl.connect(1, "C"), d = cl.connect(2, "D");
  for (auto* m : {b.get(), c.get(), d.get()})
    REQUIRE(m->request("join", "\"table\":\"synergies\"").boolean("ok"));
  std::map<std::string, bool> ok_of;  // each message text: was its reply ok
  for (int round = 0; round < rounds; ++round) {
    INFO("round " << round);
    auto a = cl.connect(0, "A");
    REQUIRE(a->request("join", "\"table\":\"synergies\"").boolean("ok"));
    cl.kill_redis();
    a->close();
    std::this_thread::sleep_for(100ms);
    auto const down = "down-" + std::to_string(round);
    // On another node than the leaver: B, on the leaver's node, speaks first
    // once Redis is back.
    auto r = fire({d.get()}, {say_frame(down)});
    ok_of[down] = r[0].boolean("ok");
    if (!ok_of[down]) CHECK(r[0].str("/error/code") == "unavailable");
    cl.restart_redis();
    auto const up_b = "up-b-" + std::to_string(round), up_d = "up-d-" + std::to_string(round);
    auto const replies = fire({b.get(), d.get()}, {say_frame(up_b), say_frame(up_d)});
    for (auto const& rep : replies) {
      INFO(rep.raw());
      CHECK(rep.boolean("ok"));
    }
    ok_of[up_b] = replies[0].boolean("ok");
    ok_of[up_d] = replies[1].boolean("ok");
    // The observer: everything up to both messages of this round.
    std::set<std::string> ups;
    auto const seen = read_until(*c, [&](message const& m) {
      if (m.type() == "message" && (m.str("text") == up_b || m.str("text") == up_d))
        ups.insert(m.str("text"));
      return ups.size() == 2;
    });
    for (auto const& m : seen) {
      if (m.type() != "message") continue;
      INFO(m.raw());
      REQUIRE(ok_of.count(m.str("text")) == 1);
      CHECK(ok_of[m.str("text")]);
      ok_of.erase(m.str("text"));  // seen once; and not expected any more
    }
    for (auto const& [text, ok] : ok_of) {
      INFO(text);
      CHECK_FALSE(ok);  // a message whose reply was ok reached the observer
    }
    ok_of.clear();
    b->drain(50ms);
    d->drain(50ms);
  }
}

// --- creates ----------------------------------------------------------------

// Every node lists each table once, new-0 .. new-<rounds-1> included, and
// still answers the report and health checks.
void check_created(cluster& cl, int rounds) {
  for (std::size_t n = 0; n < cl.size(); ++n) {
    INFO("node " << n);
    CHECK(cl.server(n).proc->running());
    auto const hello = ws_client(cl.port(n)).hello("Count");
    std::map<std::string, int> listed;
    for (auto const& id : ids_in(hello, "/tables")) ++listed[id];
    for (int round = 0; round < rounds; ++round) CHECK(listed["new-" + std::to_string(round)] == 1);
    for (auto const& [id, times] : listed) CHECK(times == 1);
    CHECK(http_get(cl.port(n), "/api/report", {{"X-Api-Key", "k"}}).status == 200);
    CHECK(http_get(cl.port(n), "/healthz").status == 200);
  }
}

// Two chairs (on two nodes when there are several) send create_table for one
// new id while the admin API POSTs it, `rounds` times: exactly one of the
// three succeeds, the others get bad_request; the lobby lists each id once;
// the report answers; the server keeps running.
void create_race(cluster& cl, int rounds) {
  auto a = cl.chair(0), b = cl.chair(1);
  std::vector<ws_client*> const chairs{a.get(), b.get()};
  for (int round = 0; round < rounds; ++round) {
    INFO("round " << round);
    auto const id = "new-" + std::to_string(round);
    auto const frame = R"({"op":"create_table","table":")" + id + R"(","topic":"New"})";
    http_result posted;
    std::thread http([&] {
      posted = http_post(cl.port(static_cast<std::size_t>(round)), "/api/tables",
                         R"({"table":")" + id + R"(","topic":"New"})", {{"X-Api-Key", "k"}});
    });
    auto const replies = fire(chairs, {frame, frame});
    http.join();
    int wins = posted.status == 201 ? 1 : 0;
    CHECK((posted.status == 201 || posted.status == 400));
    for (auto const& r : replies) {
      if (r.boolean("ok")) {
        ++wins;
      } else {
        CHECK(r.str("/error/code") == "bad_request");
      }
    }
    CHECK(wins == 1);
    a->drain(1ms);
    b->drain(1ms);
  }
  std::this_thread::sleep_for(300ms);  // the created tables reach every node
  check_created(cl, rounds);
}

}  // namespace

TEST_CASE("memory engine: concurrent hand raises keep every hand", "[race][memory]") {
  cluster cl("memory", 1);
  hands_race(cl, 6, 50);
}

// Regression (fixed by the ordered log): `hands` carries the whole queue computed from the stale
// local replica and is applied as a replacement, so of two hands raised within one round trip one
// is lost.
TEST_CASE("three nodes: concurrent hand raises keep every hand", "[race][redis]") {
  cluster cl("redis", 3);
  hands_race(cl, 6, 50);
}

TEST_CASE("memory engine: five join a table of two at once", "[race][memory]") {
  cluster cl("memory", 1);
  capacity_race(cl, 30);
}

// Regression (fixed by the ordered log): capacity counts only the applied roster of the local
// replica, so concurrent joins on several nodes overbook a table.
TEST_CASE("three nodes: five join a table of two at once", "[race][redis]") {
  cluster cl("redis", 3);
  capacity_race(cl, 30);
}

// The same with replicas let go 1 ms after use: every round's table is one
// no node holds, so the five joins each load it on their node at once.
TEST_CASE("three nodes letting replicas go at once: five join a table of two at once",
          "[race][redis]") {
  cluster cl("redis", 3, {"--replica-linger-ms", "1"});
  capacity_race(cl, 30);
}

TEST_CASE("three nodes letting replicas go at once: concurrent hand raises keep every hand",
          "[race][redis]") {
  cluster cl("redis", 3, {"--replica-linger-ms", "1"});
  hands_race(cl, 6, 20);
}

TEST_CASE("memory engine: ten simultaneous votes on one insight", "[race][memory]") {
  cluster cl("memory", 1);
  votes_race(cl, 5);
}

// Regression (fixed by the ordered log): a vote's event carries voters.size()+1 from decision time
// on the stale replica, so concurrent votes all show the same count.
TEST_CASE("three nodes: ten simultaneous votes on one insight", "[race][redis]") {
  cluster cl("redis", 3);
  votes_race(cl, 5);
}

// Regression (fixed by the ordered log): fire_ready hands a waiter every failure with a ticket at
// or below its own, so the failed `presence` left of a disconnect reaches the next client as
// `unavailable` although its message went out.
TEST_CASE("three nodes: failures during a Redis outage reach the right client", "[race][redis]") {
  temp_dir aof;
  cluster cl("redis", 3, {},
             {"--appendonly", "yes", "--appendfsync", "always", "--dir", aof.path()});
  failure_race(cl, 3);
}

// Regression: Redis down for longer than the presence TTL. Nobody could refresh
// presence meanwhile, so every expiry passed; the first node back reaped the
// members of the nodes not yet back, who then got `forbidden` on their next op.
// And A, who left during the outage, stayed a member for good: its leave never
// reached the log, and its node kept refreshing its presence. Now A leaves
// once Redis is back, nobody else does, and everybody who stayed can talk.
TEST_CASE("three nodes: an outage longer than the presence TTL reaps only who left",
          "[race][redis]") {
  temp_dir aof;
  cluster cl("redis", 3, {},
             {"--appendonly", "yes", "--appendfsync", "always", "--dir", aof.path()});
  auto b = cl.connect(0, "B"), c = cl.connect(1, "C"), d = cl.connect(2, "D");
  auto a = cl.connect(0, "A");
  for (auto* m : {b.get(), c.get(), d.get(), a.get()})
    REQUIRE(m->request("join", "\"table\":\"synergies\"").boolean("ok"));
  auto const a_id = read_until(*c,
                               [](message const& m) {
                                 return m.type() == "presence" && m.str("/joined/name") == "A";
                               })
                        .back()
                        .str("/joined/id");
  cl.kill_redis();
  a->close();
  std::this_thread::sleep_for(4s);  // past the TTL of 3 s
  cl.restart_redis();
  auto seen = read_until(
      *c, [&](message const& m) { return m.type() == "presence" && m.str("left") == a_id; }, 15s);
  std::this_thread::sleep_for(1s);  // a wrong reap would run in the same pass
  auto const replies = fire({b.get(), c.get(), d.get()},
                            {say_frame("after-b"), say_frame("after-c"), say_frame("after-d")});
  for (auto const& r : replies) {
    INFO(r.raw());
    CHECK(r.boolean("ok"));
  }
  std::set<std::string> said;
  auto const rest = read_until(*c, [&](message const& m) {
    if (m.type() == "message") said.insert(m.str("text"));
    return said.size() == 3;
  });
  seen.insert(seen.end(), rest.begin(), rest.end());
  int a_left = 0;
  for (auto const& m : seen) {
    if (m.type() != "presence" || !m.has("/left")) continue;
    INFO(m.raw());
    CHECK(m.str("left") == a_id);
    ++a_left;
  }
  CHECK(a_left == 1);
}

// Regression: a table created on node 0 was unknown for a moment on the
// other nodes, so a join sent there after the chair's ok could get not_found.
// Each round, as soon as the create's reply is ok, members on the two other
// nodes (and one on node 0) join the new table at once: every join is ok.
TEST_CASE("three nodes: a table just created takes joins on every node", "[race][redis]") {
  cluster cl("redis", 3, {"--max-tables", "200"});
  auto chair = cl.chair(0);
  std::vector<client_ptr> people;
  for (std::size_t i = 0; i < 3; ++i) people.push_back(cl.connect(i, "P" + std::to_string(i)));
  std::vector<ws_client*> all;
  for (auto& p : people) all.push_back(p.get());
  for (int round = 0; round < 60; ++round) {
    INFO("round " << round);
    auto const id = "fresh-" + std::to_string(round);
    REQUIRE(
        chair->request("create_table", "\"table\":\"" + id + "\",\"topic\":\"New\"").boolean("ok"));
    auto const join = R"({"op":"join","table":")" + id + R"("})";
    for (auto const& r : fire(all, std::vector<std::string>(all.size(), join))) {
      INFO(r.raw());
      CHECK(r.boolean("ok"));
    }
  }
  // An unknown table is still refused, after the barrier.
  auto const r = people[1]->request("join", "\"table\":\"never-made\"");
  CHECK(r.str("/error/code") == "not_found");
}

// Every op that names a table waits for the same barrier as a join: chairs on
// the two other nodes move people into a table created a moment ago (both at
// once), then one closes it. Each failed without the barrier (`not_found`).
TEST_CASE("three nodes: the chair's ops take a table just created on another node",
          "[race][redis]") {
  cluster cl("redis", 3, {"--max-tables", "200"});
  auto creator = cl.chair(0);
  std::vector<client_ptr> owned;
  std::vector<ws_client*> chairs;
  std::vector<client_ptr> people;
  std::vector<std::string> ids;
  for (std::size_t n = 1; n < 3; ++n) {
    owned.push_back(cl.chair(n));
    chairs.push_back(owned.back().get());
    people.push_back(std::make_unique<ws_client>(cl.port(n)));
    ids.push_back(people.back()->hello("Moved " + std::to_string(n)).str("/you/id"));
  }
  for (int round = 0; round < 40; ++round) {
    INFO("round " << round);
    auto const id = "moved-" + std::to_string(round);
    REQUIRE(creator->request("create_table", "\"table\":\"" + id + "\",\"topic\":\"New\"")
                .boolean("ok"));
    std::vector<std::string> frames;
    for (auto const& who : ids) {
      frames.push_back(R"({"op":"move","participant":")" + who + R"(","table":")" + id + R"("})");
    }
    for (auto const& r : fire(chairs, frames)) {
      INFO(r.raw());
      CHECK(r.boolean("ok"));
    }
    for (auto& p : people) {
      auto const moved = p->wait_type("moved", 10s);
      REQUIRE(moved);
      CHECK(moved->str("table") == id);
      CHECK_FALSE(moved->has("error"));
    }
    auto const closing = "moved-c" + std::to_string(round);
    REQUIRE(creator->request("create_table", "\"table\":\"" + closing + "\",\"topic\":\"New\"")
                .boolean("ok"));
    auto const closed =
        chairs[round % 2]->request("table", "\"table\":\"" + closing + "\",\"open\":false");
    INFO(closed.raw());
    CHECK(closed.boolean("ok"));
  }
  // An unknown table is still refused, after the barrier.
  CHECK(chairs[0]
            ->request("move", R"("participant":")" + ids[0] + R"(","table":"never-made")")
            .str("/error/code") == "not_found");
}

// 200 rounds create 200 tables: above the default --max-tables (100).
std::vector<std::string> const many_tables{"--max-tables", "1000"};

TEST_CASE("memory engine: 200 concurrent creates of one table id", "[race][memory]") {
  SECTION("in memory only") {
    cluster cl("memory", 1, many_tables);
    create_race(cl, 200);
  }
  SECTION("with a data dir, and the same lobby after a restart") {
    temp_dir data;
    std::vector<std::string> args{"--data-dir", data.path()};
    args.insert(args.end(), many_tables.begin(), many_tables.end());
    {
      cluster cl("memory", 1, args);
      create_race(cl, 200);
    }
    cluster again("memory", 1, args);
    check_created(again, 200);
  }
}

TEST_CASE("one node over Redis: 200 concurrent creates of one table id", "[race][redis]") {
  cluster cl("redis", 1, many_tables);
  create_race(cl, 200);
}

// Regression (fixed by the ordered log): each node checks the id against its own replica and
// publishes `table_created`, so two chairs on two nodes both succeed.
TEST_CASE("three nodes: 200 concurrent creates of one table id", "[race][redis]") {
  cluster cl("redis", 3, many_tables);
  create_race(cl, 200);
}

// The event holds 36 tables and --max-tables 50: chairs on three nodes and
// the admin API create distinct ids at the same instant until well past the
// limit. The plenary's log admits exactly 14, the others get `full`, and
// every node lists exactly 50 tables.
TEST_CASE("three nodes: concurrent creates stop at --max-tables", "[race][redis][abuse]") {
  for (int run = 0; run < 3; ++run) {
    INFO("run " << run);
    cluster cl("redis", 3, {"--max-tables", "50"});
    std::vector<client_ptr> owned;
    std::vector<ws_client*> chairs;
    for (std::size_t n = 0; n < 3; ++n) {
      owned.push_back(cl.chair(n));
      chairs.push_back(owned.back().get());
    }
    int wins = 0;
    for (int round = 0; round < 8; ++round) {
      std::vector<std::string> frames;
      for (int c = 0; c < 3; ++c) {
        frames.push_back(R"({"op":"create_table","table":"x-)" + std::to_string(round) + "-" +
                         std::to_string(c) + R"(","topic":"New"})");
      }
      http_result posted;
      std::thread http([&] {
        posted = http_post(cl.port(static_cast<std::size_t>(round)), "/api/tables",
                           R"({"table":"h-)" + std::to_string(round) + R"(","topic":"New"})",
                           {{"X-Api-Key", "k"}});
      });
      auto const replies = fire(chairs, frames);
      http.join();
      if (posted.status == 201) ++wins;
      CHECK((posted.status == 201 || message(posted.body).str("/error/code") == "full"));
      for (auto const& r : replies) {
        if (r.boolean("ok")) {
          ++wins;
        } else {
          CHECK(r.str("/error/code") == "full");
        }
      }
    }
    CHECK(wins == 14);
    for (std::size_t n = 0; n < cl.size(); ++n) {
      INFO("node " << n);
      auto const hello = ws_client(cl.port(n)).hello("Count");
      std::set<std::string> listed;
      for (auto const& id : ids_in(hello, "/tables")) CHECK(listed.insert(id).second);
      CHECK(listed.size() == 50);
    }
  }
}

// --- the floor --------------------------------------------------------------

namespace {

// Every event of the table up to `seq` that `c` receives; `hands` ones only.
std::vector<std::string> hands_until(ws_client& c, std::int64_t seq) {
  std::vector<std::string> out;
  for (auto const& m : read_until(c, [&](message const& m) {
         return m.str("room") == "synergies" && m.num("seq") >= seq;
       })) {
    if (m.type() == "hands" && m.str("room") == "synergies") out.push_back(m.raw());
  }
  return out;
}

// Two moderators (the table's, and the chair) on two nodes act on the floor at
// the same instant, `rounds` times: both pick the same hand, pick different
// hands, or one picks a hand the other lowers. Ann, Bob and Cy raise their
// hands first. Every member then holds the same `hands` events (same seq, same
// bytes), each reply agrees with the final state, and so does a fresh snapshot.
void floor_race(cluster& cl, int rounds) {
  auto mod = cl.connect(
      0, "Mod", "\"token\":\"" + printed_token(cl.server(0), "moderator link (synergies)") + "\"");
  auto chair = cl.chair(1);
  std::vector<client_ptr> people;
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    auto c = std::make_unique<ws_client>(cl.port(static_cast<std::size_t>(i)));
    ids.push_back(c->hello(std::string(1, static_cast<char>('A' + i))).str("/you/id"));
    people.push_back(std::move(c));
  }
  std::vector<ws_client*> members{mod.get(), chair.get()};
  for (auto& p : people) members.push_back(p.get());
  for (auto* c : members) REQUIRE(c->request("join", "\"table\":\"synergies\"").boolean("ok"));
  auto const pick = [](std::string const& id) {
    return R"({"op":"speaker","room":"synergies","participant":")" + id + R"("})";
  };
  auto const drop = [](std::string const& id) {
    return R"({"op":"hand","up":false,"participant":")" + id + R"("})";
  };
  // The table as a new member finds it: its join takes a place in the log after
  // every op already acknowledged (a re-join of one's own table would not).
  auto const fresh = [&](std::size_t node) {
    ws_client o(cl.port(node));
    o.hello("Observer");
    auto j = o.request("join", "\"table\":\"synergies\"");
    REQUIRE(j.boolean("ok"));
    return j;
  };
  for (int round = 0; round < rounds; ++round) {
    INFO("round " << round);
    REQUIRE(chair->request("speaker", R"("room":"synergies","action":"clear")").boolean("ok"));
    for (auto& p : people) REQUIRE(p->request("hand", R"("up":true)").boolean("ok"));
    // Everyone past the raises.
    auto const raised = fresh(static_cast<std::size_t>(round)).num("/snapshot/seq");
    for (auto* c : members) hands_until(*c, raised);
    auto const kind = round % 3;
    std::vector<std::string> const frames =
        kind == 0   ? std::vector<std::string>{pick(ids[0]), pick(ids[0])}
        : kind == 1 ? std::vector<std::string>{pick(ids[0]), pick(ids[1])}
                    : std::vector<std::string>{pick(ids[0]), drop(ids[0])};
    auto const replies = fire({mod.get(), chair.get()}, frames);
    // The state after both, on either node.
    auto const snap = fresh(static_cast<std::size_t>(round + 1));
    auto const seq = snap.num("/snapshot/seq");
    auto const speaker = snap.str("/snapshot/speaker/id");
    auto const queue = ids_in(snap, "/snapshot/hands");
    if (kind == 0) {
      CHECK(replies[0].boolean("ok"));
      CHECK(replies[1].boolean("ok"));
      CHECK(speaker == ids[0]);
      CHECK(queue == std::vector<std::string>{ids[1], ids[2]});
    } else if (kind == 1) {
      CHECK(replies[0].boolean("ok"));
      CHECK(replies[1].boolean("ok"));
      CHECK((speaker == ids[0] || speaker == ids[1]));
      CHECK(queue == std::vector<std::string>{ids[2]});
    } else if (replies[0].boolean("ok")) {  // the pick came first; the drop found no hand
      CHECK(replies[1].boolean("ok"));
      CHECK(speaker == ids[0]);
      CHECK(queue == std::vector<std::string>{ids[1], ids[2]});
    } else {  // the drop came first
      CHECK(replies[0].str("/error/code") == "not_found");
      CHECK(speaker.empty());
      CHECK(queue == std::vector<std::string>{ids[1], ids[2]});
    }
    // Every member saw the same `hands` events up to that seq, the last one
    // the state above.
    std::vector<std::string> first;
    for (auto* c : members) {
      auto const hands = hands_until(*c, seq);
      if (c == members.front()) first = hands;
      CHECK(hands == first);
    }
    REQUIRE_FALSE(first.empty());
    message const last(first.back());
    CHECK(last.str("/speaker/id") == speaker);
    CHECK(ids_in(last, "/queue") == queue);
  }
}

}  // namespace

TEST_CASE("memory engine: two moderators act on the floor at once", "[race][memory][floor]") {
  cluster cl("memory", 1);
  floor_race(cl, 30);
}

TEST_CASE("two nodes: two moderators act on the floor at once", "[race][redis][floor]") {
  cluster cl("redis", 2);
  floor_race(cl, 30);
}
