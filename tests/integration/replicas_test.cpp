// Replicas only where they are used (issue 16): with the Redis engine a node
// applies a table's log while it has members there (and a short linger after),
// lets the replica go otherwise, and loads the table's tail again when someone
// here needs it. Checked from outside: what the /metrics gauges say a node
// holds and applied, what its lobby shows of tables it does not hold, the
// seqs its members see across a let-go and a reload, and the report it serves.
// Real redis-server, real nodes, real WebSocket connections.
#include "tests/support/lag_proxy.hpp"
#include "tests/support/process.hpp"
#include "tests/support/raw_ws.hpp"
#include "tests/support/replay.hpp"
#include "tests/support/tokens.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace roundtable::test;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> node_args(int redis_port, std::string const& id,
                                   std::string const& linger_ms) {
  return {"--redis",
          "redis://127.0.0.1:" + std::to_string(redis_port),
          "--node-id",
          id,
          "--rate-limit",
          "0",
          "--presence-ttl",
          "3",
          "--api-key",
          "k",
          "--replica-linger-ms",
          linger_ms};
}

std::vector<std::string> node_args(redis_process const& r, std::string const& id,
                                   std::string const& linger_ms) {
  return node_args(r.port, id, linger_ms);
}

constexpr char const* held = "roundtable_redis_rooms_held";
constexpr char const* applied = "roundtable_redis_commands_applied_total";

std::string say(std::string const& room, std::string const& text) {
  return "\"room\":\"" + room + "\",\"text\":\"" + text + "\"";
}

// A table's count of messages in /api/report, as node `port` serves it.
std::int64_t reported_messages(int port, std::string const& table) {
  auto const r = http_get(port, "/api/report", {{"X-Api-Key", "k"}});
  REQUIRE(r.status == 200);
  message report(r.body);
  for (std::size_t i = 0; report.has("/tables/" + std::to_string(i)); ++i) {
    auto const at = "/tables/" + std::to_string(i);
    if (report.str(at + "/id") == table) return report.num(at + "/messages");
  }
  return -1;
}

// The text of the last message in a join's snapshot.
std::string last_message(message const& join) {
  simdjson::dom::array list;
  if (join.at("/snapshot/messages").get(list) || list.size() == 0) return {};
  std::string_view text;
  if (list.at(list.size() - 1)["text"].get(text)) return {};
  return std::string(text);
}

// The count in a lobby row as `c` last heard it (tables events, in order).
std::optional<std::int64_t> lobby_count(message const& m, std::string const& table) {
  auto row = table_row(m, table);
  std::int64_t n = 0;
  if (!row || (*row)["count"].get(n)) return std::nullopt;
  return n;
}

}  // namespace

TEST_CASE("two nodes: a node applies a table's log only while its members sit there",
          "[redis][multi-node]") {
  redis_process redis;
  server_process a(node_args(redis, "A", "300")), b(node_args(redis, "B", "300"));
  ws_client bob(b.port), alice(a.port);
  REQUIRE(bob.hello("Bob").boolean("ok"));
  REQUIRE(alice.hello("Alice").boolean("ok"));
  // Every room is loaded at start; with nobody seated, B keeps the plenary only.
  REQUIRE(wait_metric(b.port, held, 1, 10s) == 1);

  REQUIRE(alice.request("join", "\"table\":\"synergies\"").boolean("ok"));
  // B's lobby shows Alice seated, from the row A shares: B holds no replica.
  auto seen = bob.wait_for(
      [](message const& m) { return m.type() == "tables" && lobby_count(m, "synergies") == 1; },
      10s);
  CHECK(seen);
  auto const applied_before = metric(b.port, applied);
  for (int i = 0; i < 50; ++i)
    REQUIRE(alice.request("say", say("synergies", "m" + std::to_string(i))).boolean("ok"));
  CHECK(metric(b.port, applied) == applied_before);  // none of the 50 on B
  CHECK(metric(b.port, held) == 1);

  // Bob joins on B: B loads the table's tail, and the seqs go on without a gap.
  auto j = bob.request("join", "\"table\":\"synergies\"", 10s);
  REQUIRE(j.boolean("ok"));
  CHECK(last_message(j) == "m49");
  auto const snap = j.num("/snapshot/seq");
  CHECK(metric(b.port, held) == 2);
  REQUIRE(alice.request("say", say("synergies", "after")).boolean("ok"));
  auto next = bob.wait_for([](message const& m) { return m.str("text") == "after"; });
  REQUIRE(next);
  CHECK(next->num("seq") == snap + 1);
  REQUIRE(bob.request("say", say("synergies", "hi")).boolean("ok"));
  CHECK(alice.wait_for([](message const& m) { return m.str("text") == "hi"; }));

  // Bob leaves: B lets the table go after the linger. What Alice says then is
  // in the report B serves (it catches up first), and B's lobby follows.
  REQUIRE(bob.request("leave").boolean("ok"));
  REQUIRE(wait_metric(b.port, held, 1, 10s) == 1);
  for (int i = 0; i < 5; ++i)
    REQUIRE(alice.request("say", say("synergies", "late" + std::to_string(i))).boolean("ok"));
  CHECK(reported_messages(b.port, "synergies") == 57);
  CHECK(reported_messages(a.port, "synergies") == 57);
  ws_client carol(a.port);
  REQUIRE(carol.hello("Carol").boolean("ok"));
  REQUIRE(carol.request("join", "\"table\":\"synergies\"").boolean("ok"));
  CHECK(bob.wait_for(
      [](message const& m) { return m.type() == "tables" && lobby_count(m, "synergies") == 2; },
      10s));
}

// A node that lets a table go drops its state too (memory grows with its own
// members' tables, not with every table it ever held): what it loads on the
// next join is whole. Bob's second join on B must show what Carol's join on A
// shows (messages, insights with their votes, hands), and the seqs go on.
TEST_CASE("two nodes: a table let go leaves the node's memory and comes back whole",
          "[redis][multi-node]") {
  redis_process redis;
  server_process a(node_args(redis, "A", "200")), b(node_args(redis, "B", "200"));
  ws_client alice(a.port), bob(b.port), carol(a.port);
  REQUIRE(alice.hello("Alice").boolean("ok"));
  REQUIRE(bob.hello("Bob").boolean("ok"));
  REQUIRE(carol.hello("Carol").boolean("ok"));
  REQUIRE(alice.request("join", "\"table\":\"synergies\"").boolean("ok"));
  REQUIRE(bob.request("join", "\"table\":\"synergies\"").boolean("ok"));
  for (int i = 0; i < 40; ++i)
    REQUIRE(alice.request("say", say("synergies", "m" + std::to_string(i))).boolean("ok"));
  REQUIRE(bob.request("insight", "\"text\":\"One idea\"").boolean("ok"));
  auto idea = alice.wait_for([](message const& m) { return m.type() == "insight"; });
  REQUIRE(idea);
  REQUIRE(alice.request("hand", "\"up\":true").boolean("ok"));
  // B dropped the event's two other tables after its start; then this one.
  constexpr char const* dropped = "roundtable_redis_replicas_dropped_total";
  REQUIRE(wait_metric(b.port, dropped, 2, 10s) == 2);
  REQUIRE(bob.request("leave").boolean("ok"));
  REQUIRE(wait_metric(b.port, dropped, 3, 10s) == 3);
  // Said while B holds nothing of the table.
  for (int i = 40; i < 45; ++i)
    REQUIRE(alice.request("say", say("synergies", "m" + std::to_string(i))).boolean("ok"));
  REQUIRE(carol.request("join", "\"table\":\"synergies\"").boolean("ok"));
  REQUIRE(carol.request("vote", "\"insight\":\"" + idea->str("id") + "\"").boolean("ok"));
  ws_client dave(a.port);
  REQUIRE(dave.hello("Dave").boolean("ok"));
  auto const on_a = dave.request("join", "\"table\":\"synergies\"");
  REQUIRE(on_a.boolean("ok"));
  auto const on_b = bob.request("join", "\"table\":\"synergies\"", 10s);
  REQUIRE(on_b.boolean("ok"));
  for (auto const* part : {"/snapshot/messages", "/snapshot/insights", "/snapshot/hands"}) {
    INFO(part);
    CHECK(simdjson::minify(on_b.at(part)) == simdjson::minify(on_a.at(part)));
  }
  CHECK(last_message(on_b) == "m44");
  REQUIRE(alice.request("say", say("synergies", "after")).boolean("ok"));
  auto next = bob.wait_for([](message const& m) { return m.str("text") == "after"; });
  REQUIRE(next);
  CHECK(next->num("seq") == on_b.num("/snapshot/seq") + 1);
}

// A client that lost its connection resumes on a node that has dropped the
// table meanwhile: the replay comes from the window that node loads again
// (Redis's snapshot plus tail), every seq after the client's last one, once.
TEST_CASE("two nodes: a resume on a node that dropped the table replays without a gap",
          "[redis][multi-node]") {
  redis_process redis;
  server_process a(node_args(redis, "A", "200")), b(node_args(redis, "B", "200"));
  ws_client alice(a.port);
  REQUIRE(alice.hello("Alice").boolean("ok"));
  REQUIRE(alice.request("join", "\"table\":\"synergies\"").boolean("ok"));
  std::int64_t epoch = 0, seq = 0;
  {
    ws_client eve(b.port);
    REQUIRE(eve.hello("Eve").boolean("ok"));
    REQUIRE(eve.request("join", "\"table\":\"synergies\"").boolean("ok"));
    for (int i = 0; i < 10; ++i)
      REQUIRE(alice.request("say", say("synergies", "m" + std::to_string(i))).boolean("ok"));
    auto m = eve.wait_for([](message const& x) { return x.str("text") == "m9"; });
    REQUIRE(m);
    epoch = m->num("epoch");
    seq = m->num("seq");
  }
  // B drops the event's three tables once Eve's connection is gone.
  REQUIRE(wait_metric(b.port, "roundtable_redis_replicas_dropped_total", 3, 10s) == 3);
  for (int i = 10; i < 15; ++i)
    REQUIRE(alice.request("say", say("synergies", "m" + std::to_string(i))).boolean("ok"));
  ws_client back(b.port);
  auto h = back.hello("Eve", "\"resume\":{\"synergies\":{\"epoch\":" + std::to_string(epoch) +
                                 ",\"seq\":" + std::to_string(seq) + "}}");
  REQUIRE(h.boolean("ok"));
  CHECK(h.boolean("/recovered/synergies"));
  auto const replayed = back.drain(300ms);
  CHECK(seqs_of(replayed, "synergies") == seq_range(seq + 1, h.num("/table/seq")));
  CHECK(message_texts(replayed) == std::vector<std::string>{"m10", "m11", "m12", "m13", "m14"});
}

// A node whose subscription lags its commands: a proxy delays what Redis
// sends the node's subscriber link by 150 ms, and the linger is 1 ms, so the
// sweep (every 10 ms) finds the table unused while the node's own command is
// still on its way back. The node keeps the replica until it has applied that
// command (the engine's idle(): own_lsn), and the sender's reply, which waits
// for the apply, comes; a replica let go meanwhile would drop the publish, and
// the reply would wait until the table is loaded again. With every link
// lagging, the append's answer lags too, and the replica is kept while it is
// awaited (idle(): appending). The op is the chair's, from the plenary: nobody
// is seated at the table, so nothing else keeps the replica. Each round starts
// from a table let go (so it loads, appends, and lets go again).
TEST_CASE("one node: an own command whose publish lags the linger is answered",
          "[redis][multi-node]") {
  auto const which = GENERATE(lag_proxy::lagging::subscribers, lag_proxy::lagging::every_link);
  bool const every_link = which == lag_proxy::lagging::every_link;
  INFO((every_link ? "every link lags" : "the subscriber link lags"));
  constexpr std::string_view secret = "replicas-test-secret-0123456789abcdef";
  redis_process redis;
  lag_proxy lag(redis.port, 150ms, which);
  auto args = node_args(lag.port(), "A", "1");
  args.insert(args.end(), {"--secret", std::string(secret)});
  server_process a(args);
  ws_client chair(a.port);
  REQUIRE(chair.hello("Chair", token_field(secret, roundtable::auth::role::chair, "chair"))
              .boolean("ok"));
  // A round takes a load (two round trips), the append and its publish.
  int const rounds = every_link ? 5 : 20;
  for (int round = 0; round < rounds; ++round) {
    INFO("round " << round);
    REQUIRE(wait_metric(a.port, held, 1, 10s) == 1);  // the plenary only
    auto const t0 = std::chrono::steady_clock::now();
    // No reply within 3 s (request throws): the replica went without the op.
    auto const r = chair.request(
        "timer", "\"room\":\"synergies\",\"seconds\":" + std::to_string(600 + round), 3s);
    REQUIRE(r.boolean("ok"));
    // The publish came through the lag, not around it.
    CHECK(std::chrono::steady_clock::now() - t0 >= 150ms);
  }
  // The node's two links went through the proxy: both lagged, or the
  // subscriber's alone.
  CHECK(lag.connections() == 2);
  CHECK(lag.delayed_connections() == (every_link ? 2U : 1U));
}

// Figures, not a test of speed: a join on a node that does not hold the
// table (it loads what it missed first) against one that does. It checks
// that each join's snapshot ends with the table's latest message.
TEST_CASE("two nodes: a hop to a table the node does not hold, timed", "[redis][multi-node]") {
  redis_process redis;
  server_process a(node_args(redis, "A", "50")), b(node_args(redis, "B", "50"));
  ws_client alice(a.port), bob(b.port);
  REQUIRE(alice.hello("Alice").boolean("ok"));
  REQUIRE(bob.hello("Bob").boolean("ok"));
  REQUIRE(alice.request("join", "\"table\":\"big-data\"").boolean("ok"));
  for (int i = 0; i < 200; ++i)
    REQUIRE(alice.request("say", say("big-data", "m" + std::to_string(i))).boolean("ok"));
  std::string latest = "m199";
  auto timed_join = [&] {
    auto const t0 = std::chrono::steady_clock::now();
    auto const j = bob.request("join", "\"table\":\"big-data\"", 10s);
    auto const us =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    REQUIRE(j.boolean("ok"));
    REQUIRE(last_message(j) == latest);
    REQUIRE(bob.request("leave").boolean("ok"));
    return us;
  };
  std::vector<long long> cold, warm;
  for (int round = 0; round < 15; ++round) {
    REQUIRE(wait_metric(b.port, held, 1, 10s) == 1);
    cold.push_back(timed_join());
    warm.push_back(timed_join());  // within the linger: B still holds it
  }
  // Let go 2,000 commands ago: the load replays the stream's tail.
  REQUIRE(wait_metric(b.port, held, 1, 10s) == 1);
  for (int i = 200; i < 2200; ++i)
    alice.send(R"({"op":"say",)" + say("big-data", "m" + std::to_string(i)) + "}");
  latest = "m2199";
  REQUIRE(alice.wait_for([&](message const& m) { return m.str("text") == latest; }, 30s));
  auto const behind_us = timed_join();
  std::sort(cold.begin(), cold.end());
  std::sort(warm.begin(), warm.end());
  WARN("join on a node without the table's replica (a few commands behind): median "
       << cold[cold.size() / 2] << " us, max " << cold.back()
       << " us; 2,000 commands behind: " << behind_us << " us; with the replica: median "
       << warm[warm.size() / 2] << " us, max " << warm.back() << " us");
}

// Figures, not a test of memory: 40 tables of 250 messages each, and one
// person on B and one on C who visit every table once. B lets each table go
// (and drops it) 100 ms after each visit; C keeps every replica (linger 0),
// as B did before replicas were dropped. It checks that every visit's
// snapshot ends with its table's last message, and that B dropped them all.
TEST_CASE("three nodes: the memory of a node that visited every table (measured)",
          "[redis][multi-node]") {
  redis_process redis;
  server_process a(node_args(redis, "A", "0")), b(node_args(redis, "B", "100")),
      c(node_args(redis, "C", "0"));
  ws_client alice(a.port), bob(b.port), carol(c.port);
  REQUIRE(alice.hello("Alice").boolean("ok"));
  REQUIRE(bob.hello("Bob").boolean("ok"));
  REQUIRE(carol.hello("Carol").boolean("ok"));
  auto const rss_b0 = vm_rss_kib(b.proc->pid()), rss_c0 = vm_rss_kib(c.proc->pid());
  std::string const text(200, 'x');
  for (int t = 0; t < 40; ++t) {
    auto const id = "t" + std::to_string(t);
    REQUIRE(http_post(a.port, "/api/tables", R"({"table":")" + id + R"(","topic":"T"})",
                      {{"X-Api-Key", "k"}})
                .status == 201);
    REQUIRE(alice.request("join", "\"table\":\"" + id + "\"", 10s).boolean("ok"));
    for (int i = 0; i < 250; ++i)
      alice.send(R"({"op":"say",)" + say(id, text + std::to_string(i)) + "}");
    REQUIRE(alice.wait_for([&](message const& m) { return m.str("text") == text + "249"; }, 30s));
  }
  // One visit at a time: B has let the last table go before the next.
  constexpr char const* dropped = "roundtable_redis_replicas_dropped_total";
  auto const dropped0 = metric(b.port, dropped);
  for (auto* who : {&bob, &carol}) {
    for (int t = 0; t < 40; ++t) {
      auto const j = who->request("join", "\"table\":\"t" + std::to_string(t) + "\"", 10s);
      REQUIRE(j.boolean("ok"));
      REQUIRE(last_message(j) == text + "249");
      REQUIRE(who->request("leave").boolean("ok"));
      if (who == &bob)
        REQUIRE(wait_metric(b.port, dropped, dropped0 + t + 1, 10s) == dropped0 + t + 1);
    }
  }
  auto const rss_b = vm_rss_kib(b.proc->pid()), rss_c = vm_rss_kib(c.proc->pid());
  WARN("VmRSS after visiting 40 tables of 250 messages: B (drops what it lets go) "
       << rss_b << " KiB (" << rss_b - rss_b0 << " more than at start), C (keeps every replica) "
       << rss_c << " KiB (" << rss_c - rss_c0 << " more)");
}

// Adversarial: hops from every node at once while the replicas come and go
// (a linger of 20 ms lets a table go between two rounds). Every member sees
// every event of its table once, in seq order from its snapshot on; every
// acknowledged message is in every node's report; every node's lobby agrees.
TEST_CASE("three nodes: hops at once while replicas are let go and loaded again",
          "[redis][multi-node][race]") {
  redis_process redis;
  std::vector<std::unique_ptr<server_process>> nodes;
  for (auto const* id : {"A", "B", "C"})
    nodes.push_back(std::make_unique<server_process>(node_args(redis, id, "20")));
  std::vector<std::string> const tables{"synergies", "big-data", "inclusiveness"};
  std::vector<std::unique_ptr<ws_client>> people;
  for (int i = 0; i < 9; ++i) {
    people.push_back(std::make_unique<ws_client>(nodes[i % 3]->port));
    REQUIRE(people.back()->hello("p" + std::to_string(i)).boolean("ok"));
  }
  std::mt19937 rng(16);
  std::map<std::string, std::int64_t> said;  // acknowledged messages per table
  std::vector<std::string> seat(people.size());
  std::vector<std::map<std::string, std::int64_t>> last(people.size());
  // Each event of a table after the member's snapshot: exactly the next seq.
  auto check_events = [&](std::size_t i) {
    for (auto& m : people[i]->drain(50ms)) {
      auto const room = m.str("room");
      if (!m.has("seq") || room.empty() || room == "plenary") continue;
      if (m.num("seq") <= last[i][room]) continue;  // held in its snapshot
      CHECK(m.num("seq") == last[i][room] + 1);
      last[i][room] = m.num("seq");
    }
  };
  for (int round = 0; round < 25; ++round) {
    for (std::size_t i = 0; i < people.size(); ++i) {
      auto const from = std::find(tables.begin(), tables.end(), seat[i]);
      auto const k = from == tables.end() ? rng() % 3 : (from - tables.begin() + 1 + rng() % 2) % 3;
      seat[i] = tables[k];  // a hop: always to another table
      people[i]->send(R"({"op":"join","rid":)" + std::to_string(1000 + round) + R"(,"table":")" +
                      seat[i] + "\"}");
    }
    for (std::size_t i = 0; i < people.size(); ++i) {
      auto r =
          people[i]->wait_for([&](message const& m) { return m.num("rid") == 1000 + round; }, 10s);
      REQUIRE(r);
      REQUIRE(r->boolean("ok"));
      last[i][seat[i]] = r->num("/snapshot/seq");
    }
    for (std::size_t i = 0; i < people.size(); ++i) check_events(i);
    for (std::size_t i = 0; i < people.size(); ++i) {
      people[i]->send(R"({"op":"say","rid":)" + std::to_string(5000 + round) + "," +
                      say(seat[i], "r" + std::to_string(round)) + "}");
    }
    for (std::size_t i = 0; i < people.size(); ++i) {
      auto r =
          people[i]->wait_for([&](message const& m) { return m.num("rid") == 5000 + round; }, 10s);
      REQUIRE(r);
      if (r->boolean("ok")) ++said[seat[i]];
    }
    for (std::size_t i = 0; i < people.size(); ++i) check_events(i);
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 60));
  }
  std::map<std::string, std::int64_t> seated;
  for (auto const& t : tables) seated[t] = 0;
  for (auto const& s : seat) ++seated[s];
  for (auto const& n : nodes) {
    for (auto const& t : tables) CHECK(reported_messages(n->port, t) == said[t]);
    // A node that does not hold a table hears its row within the lobby's
    // interval (250 ms) of the change.
    std::map<std::string, std::int64_t> shown;
    for (int tries = 0; tries < 50 && shown != seated; ++tries) {
      std::this_thread::sleep_for(100ms);
      ws_client probe(n->port);
      auto h = probe.hello("probe");
      shown.clear();
      for (auto const& t : tables) shown[t] = lobby_count(h, t).value_or(-1);
    }
    CHECK(shown == seated);
  }
  // Once everyone is back in the lobby, each node lets every table go.
  for (auto& p : people) REQUIRE(p->request("leave").boolean("ok"));
  for (auto const& n : nodes) CHECK(wait_metric(n->port, held, 1, 10s) == 1);
}
