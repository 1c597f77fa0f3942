// The Redis engine across several nodes: one event served by three
// roundtable-server processes sharing Redis (and two Redis shards), live hops
// across nodes, lobby counts, a node killed with -9, and Redis restarts with
// and without persistence. Every server and Redis here is the test's own.
#include "server/auth/jwt.hpp"
#include "tests/support/banner.hpp"
#include "tests/support/process.hpp"
#include "tests/support/replay.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>

using namespace roundtable::test;
using namespace std::chrono_literals;

namespace {

std::string url(redis_process const& r) {
  return "redis://127.0.0.1:" + std::to_string(r.port);
}

std::vector<std::string> node_args(std::string const& redis, std::string const& id,
                                   std::vector<std::string> extra = {}) {
  std::vector<std::string> a{"--redis",      redis, "--node-id",      id,
                             "--rate-limit", "0",   "--presence-ttl", "3"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

std::string say(std::string const& room, std::string const& text) {
  return "\"room\":\"" + room + "\",\"text\":\"" + text + "\"";
}

// The keys a Redis instance holds that match `pattern`.
std::string redis_keys(int port, std::string const& pattern) {
  child_process cli({"redis-cli", "-p", std::to_string(port), "--scan", "--pattern", pattern});
  // All of it: output() right after the exit can miss what the reader had not
  // taken from the pipe yet (this test flaked with one shard "empty").
  auto out = cli.wait_output();
  cli.wait();
  return out;
}

std::string resume_of(std::string const& room, std::int64_t epoch, std::int64_t seq) {
  return "\"resume\":{\"" + room + "\":{\"epoch\":" + std::to_string(epoch) +
         ",\"seq\":" + std::to_string(seq) + "}}";
}

}  // namespace

TEST_CASE("three nodes: one table, the same messages in the same order everywhere",
          "[redis][multi-node]") {
  redis_process redis;
  server_process a(node_args(url(redis), "A")), b(node_args(url(redis), "B")),
      c(node_args(url(redis), "C"));
  std::vector<std::unique_ptr<ws_client>> clients;
  for (int port : {a.port, b.port, c.port, a.port, b.port, c.port}) {
    clients.push_back(std::make_unique<ws_client>(port));
    REQUIRE(clients.back()->hello("n" + std::to_string(clients.size())).boolean("ok"));
    REQUIRE(clients.back()->request("join", "\"table\":\"synergies\"").boolean("ok"));
  }
  // Everyone talks at once, from every node.
  for (int round = 0; round < 20; ++round) {
    for (std::size_t i = 0; i < clients.size(); ++i) {
      clients[i]->send("{\"op\":\"say\",\"room\":\"synergies\",\"text\":\"c" + std::to_string(i) +
                       "-" + std::to_string(round) + "\"}");
    }
  }
  std::vector<std::vector<std::string>> seen(clients.size());
  for (std::size_t i = 0; i < clients.size(); ++i) {
    std::int64_t last = 0;
    while (seen[i].size() < 120) {
      auto m = clients[i]->wait_type("message", 10s);
      REQUIRE(m);
      CHECK(m->num("seq") > last);
      last = m->num("seq");
      seen[i].push_back(std::to_string(m->num("seq")) + ":" + m->str("text"));
    }
  }
  for (std::size_t i = 1; i < clients.size(); ++i) CHECK(seen[i] == seen[0]);

  // The lobby counts agree on every node.
  for (int port : {a.port, b.port, c.port}) {
    ws_client probe(port);
    auto h = probe.hello("probe");
    CHECK(h.str("/tables/0/id") == "synergies");
    CHECK(h.num("/tables/0/count") == 6);
  }
}

TEST_CASE("a hop to a table whose members sit on other nodes", "[redis][multi-node]") {
  redis_process redis;
  server_process a(node_args(url(redis), "A")), b(node_args(url(redis), "B"));
  ws_client at_b(b.port), hopper(a.port);
  auto const hopper_id = hopper.hello("Hopper").str("/you/id");
  at_b.hello("Bea");
  REQUIRE(at_b.request("join", "\"table\":\"big-data\"").boolean("ok"));
  for (int i = 0; i < 5; ++i)
    REQUIRE(at_b.request("say", say("big-data", "b" + std::to_string(i))).boolean("ok"));
  REQUIRE(hopper.request("join", "\"table\":\"synergies\"").boolean("ok"));
  auto r = hopper.request("join", "\"table\":\"big-data\"");
  REQUIRE(r.boolean("ok"));
  CHECK(r.str("/snapshot/messages/4/text") == "b4");
  CHECK(r.str("/snapshot/participants/0/name").size() > 0);
  auto const snap_seq = r.num("/snapshot/seq");
  auto joined = at_b.wait_for(
      [&](message const& m) { return m.type() == "presence" && m.str("/joined/id") == hopper_id; });
  REQUIRE(joined);
  CHECK(joined->num("seq") == snap_seq);
  REQUIRE(at_b.request("say", say("big-data", "welcome")).boolean("ok"));
  auto m = hopper.wait_for([](message const& x) { return x.str("text") == "welcome"; });
  REQUIRE(m);
  CHECK(m->num("seq") == snap_seq + 1);
  // Moderation and insights decided on one node are seen on the other.
  REQUIRE(hopper.request("insight", "\"text\":\"shared insight\"").boolean("ok"));
  auto ins = at_b.wait_type("insight");
  REQUIRE(ins);
  REQUIRE(at_b.request("vote", "\"insight\":\"" + ins->str("id") + "\"").boolean("ok"));
  ws_client late(b.port);
  late.hello("Late");
  auto snap = late.request("join", "\"table\":\"big-data\"");
  CHECK(snap.str("/snapshot/insights/0/text") == "shared insight");
  CHECK(snap.num("/snapshot/insights/0/votes") == 1);
  // Demo tokens printed by one node work on the others: the secret is shared.
  auto const token = printed_token(a, "moderator link (big-data)");
  ws_client mod(b.port);
  auto h = mod.hello("Mod", "\"token\":\"" + token + "\"");
  REQUIRE(h.boolean("ok"));
  CHECK(h.str("/you/role") == "moderator");
}

TEST_CASE("kill -9 a node: its members leave presence, its clients resume elsewhere",
          "[redis][multi-node]") {
  redis_process redis;
  server_process a(node_args(url(redis), "A")), b(node_args(url(redis), "B"));
  auto doomed = std::make_unique<server_process>(node_args(url(redis), "C"));
  ws_client watcher(a.port), talker(b.port);
  watcher.hello("Watcher");
  talker.hello("Talker");
  REQUIRE(watcher.request("join", "\"table\":\"inclusiveness\"").boolean("ok"));
  REQUIRE(talker.request("join", "\"table\":\"inclusiveness\"").boolean("ok"));
  std::int64_t epoch = 0, seq = 0;
  std::string victim_id;
  {
    ws_client victim(doomed->port);
    victim_id = victim.hello("Victim").str("/you/id");
    auto r = victim.request("join", "\"table\":\"inclusiveness\"");
    REQUIRE(r.boolean("ok"));
    REQUIRE(talker.request("say", say("inclusiveness", "before")).boolean("ok"));
    auto m = victim.wait_for([](message const& x) { return x.str("text") == "before"; });
    REQUIRE(m);
    epoch = m->num("epoch");
    seq = m->num("seq");
    doomed->proc->signal(SIGKILL);
    doomed->proc->wait();
  }
  // Said while the victim is away.
  for (int i = 0; i < 3; ++i)
    REQUIRE(
        talker.request("say", say("inclusiveness", "missed" + std::to_string(i))).boolean("ok"));
  // Its presence expires (TTL 3 s here, 30 s by default) and `left` goes out.
  auto left = watcher.wait_for(
      [&](message const& m) { return m.type() == "presence" && m.str("left") == victim_id; }, 15s);
  REQUIRE(left);
  // The victim reconnects to another node and resumes without loss.
  ws_client back(a.port);
  auto h = back.hello("Victim", resume_of("inclusiveness", epoch, seq));
  REQUIRE(h.boolean("ok"));
  CHECK(h.boolean("/recovered/inclusiveness"));
  // The replay (queued before the reply): every seq after the victim's last
  // one, once and in order, ending with its own presence joined.
  auto const replayed = back.drain(300ms);
  CHECK(seqs_of(replayed, "inclusiveness") == seq_range(seq + 1, h.num("/table/seq")));
  CHECK(message_texts(replayed) == std::vector<std::string>{"missed0", "missed1", "missed2"});
}

TEST_CASE("a node restarted with the same --node-id issues no message id twice",
          "[redis][multi-node]") {
  redis_process redis;
  std::vector<std::string> const secret{"--secret", "restart-secret"};
  auto const token = [&](char const* sub, char const* name, roundtable::auth::role r) {
    auto const exp = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count() +
                     3600;
    return "\"token\":\"" + roundtable::auth::mint({sub, name, r, "", exp}, secret[1]) + "\"";
  };
  // What one talker said through each run of node "A", by id.
  std::map<std::string, std::string> said;
  for (int run = 0; run < 2; ++run) {
    server_process a(node_args(url(redis), "A", secret));
    ws_client talker(a.port);
    REQUIRE(talker.hello("Talker", token("t1", "Talker", roundtable::auth::role::participant))
                .boolean("ok"));
    REQUIRE(talker.request("join", "\"table\":\"inclusiveness\"").boolean("ok"));
    for (int i = 0; i < 3; ++i) {
      auto const text = "run" + std::to_string(run) + "-" + std::to_string(i);
      REQUIRE(talker.request("say", say("inclusiveness", text)).boolean("ok"));
      auto m = talker.wait_for([&](message const& x) { return x.str("text") == text; });
      REQUIRE(m);
      CHECK(said.emplace(m->str("id"), text).second);  // a repeated id fails here
    }
  }
  REQUIRE(said.size() == 6);
  // Deleting the second run's first message leaves the first run's alone.
  server_process a(node_args(url(redis), "A", secret));
  ws_client mod(a.port);
  REQUIRE(mod.hello("Mod", token("c1", "Chair", roundtable::auth::role::chair)).boolean("ok"));
  REQUIRE(mod.request("join", "\"table\":\"inclusiveness\"").boolean("ok"));
  auto const second =
      std::find_if(said.begin(), said.end(), [](auto const& e) { return e.second == "run1-0"; });
  REQUIRE(second != said.end());
  REQUIRE(mod.request("delete", "\"room\":\"inclusiveness\",\"message\":\"" + second->first + "\"")
              .boolean("ok"));
  ws_client late(a.port);
  REQUIRE(
      late.hello("Late", token("l1", "Late", roundtable::auth::role::participant)).boolean("ok"));
  auto snap = late.request("join", "\"table\":\"inclusiveness\"");
  REQUIRE(snap.boolean("ok"));
  CHECK(snap.raw().find("run0-0") != std::string::npos);
  CHECK(snap.raw().find("run1-0") == std::string::npos);
  CHECK(snap.raw().find("run1-1") != std::string::npos);
}

TEST_CASE("two Redis shards: rooms land on both and everything still holds", "[redis][sharding]") {
  redis_process r1, r2;
  auto const both = url(r1) + "," + url(r2);
  server_process a(node_args(both, "A")), b(node_args(both, "B"));
  ws_client x(a.port), y(b.port);
  x.hello("X");
  y.hello("Y");
  for (std::string t : {"synergies", "big-data", "inclusiveness"}) {
    REQUIRE(x.request("join", "\"table\":\"" + t + "\"").boolean("ok"));
    REQUIRE(y.request("join", "\"table\":\"" + t + "\"").boolean("ok"));
    REQUIRE(x.request("say", say(t, "hi " + t)).boolean("ok"));
    auto m = y.wait_for([&](message const& mm) { return mm.str("text") == "hi " + t; });
    REQUIRE(m);
  }
  auto const k1 = redis_keys(r1.port, "rt:*:stream");
  auto const k2 = redis_keys(r2.port, "rt:*:stream");
  INFO("shard 1: " << k1 << "shard 2: " << k2);
  CHECK(!k1.empty());
  CHECK(!k2.empty());
  // A room lives on one shard only.
  for (std::string t : {"synergies", "big-data", "inclusiveness"}) {
    bool const on1 = k1.find(t) != std::string::npos, on2 = k2.find(t) != std::string::npos;
    CHECK(on1 != on2);
  }
}

TEST_CASE("Redis restarted empty: the server recovers by itself, clients see a new epoch",
          "[redis][fault]") {
  auto redis = std::make_unique<redis_process>();
  auto const port = redis->port;
  server_process a(node_args(url(*redis), "A"));
  // A Redis without persistence is named at start.
  CHECK_NOTHROW(a.proc->wait_for_line("redis has no persistence", 5s));
  ws_client c(a.port);
  c.hello("C");
  auto j = c.request("join", "\"table\":\"synergies\"");
  REQUIRE(c.request("say", say("synergies", "before")).boolean("ok"));
  auto const epoch = j.num("/snapshot/epoch");
  auto const seq = j.num("/snapshot/seq") + 1;
  redis->proc->signal(SIGKILL);
  redis->proc->wait();
  // While Redis is down: not ready, and ops that need it say so.
  for (int i = 0; i < 100 && http_get(a.port, "/readyz").status != 503; ++i)
    std::this_thread::sleep_for(20ms);
  CHECK(http_get(a.port, "/readyz").status == 503);
  CHECK(c.request("say", say("synergies", "while down")).str("/error/code") == "unavailable");
  CHECK(http_get(a.port, "/healthz").status == 200);
  redis = std::make_unique<redis_process>(std::vector<std::string>{}, port);
  for (int i = 0; i < 300 && http_get(a.port, "/readyz").status != 200; ++i)
    std::this_thread::sleep_for(20ms);
  REQUIRE(http_get(a.port, "/readyz").status == 200);
  ws_client d(a.port);
  auto h = d.hello("D", resume_of("synergies", epoch, seq));
  REQUIRE(h.boolean("ok"));
  CHECK_FALSE(h.boolean("/recovered/synergies"));
  CHECK(h.num("/table/epoch") != epoch);
  // What was decided survives in the node and goes back to Redis: the message
  // history is gone with Redis, but the table is usable at once.
  REQUIRE(d.request("say", say("synergies", "after")).boolean("ok"));
  auto m = c.wait_for([](message const& x) { return x.str("text") == "after"; });
  REQUIRE(m);
  CHECK(m->num("epoch") != epoch);
}

TEST_CASE("Redis restarted with its AOF: same epoch, clients recover", "[redis][fault][durable]") {
  temp_dir aof;
  std::vector<std::string> const persist{"--appendonly", "yes",   "--appendfsync",
                                         "always",       "--dir", aof.path()};
  auto redis = std::make_unique<redis_process>(persist);
  auto const port = redis->port;
  std::int64_t epoch = 0, seq = 0;
  {
    server_process a(node_args(url(*redis), "A"));
    ws_client c(a.port);
    c.hello("C");
    REQUIRE(c.request("join", "\"table\":\"synergies\"").boolean("ok"));
    REQUIRE(c.request("insight", "\"text\":\"kept insight\"").boolean("ok"));
    REQUIRE(c.request("say", say("synergies", "one")).boolean("ok"));
    auto m = c.wait_for([](message const& x) { return x.str("text") == "one"; });
    REQUIRE(m);
    epoch = m->num("epoch");
    seq = m->num("seq");
    REQUIRE(c.request("say", say("synergies", "two")).boolean("ok"));
    a.proc->signal(SIGKILL);
    a.proc->wait();
  }
  redis->proc->signal(SIGTERM);
  redis->proc->wait();
  redis = std::make_unique<redis_process>(persist, port);
  server_process a(node_args(url(*redis), "A2"));
  ws_client d(a.port);
  CHECK(a.proc->output().find("redis has") == std::string::npos);  // the AOF is on: no warning
  auto h = d.hello("D", resume_of("synergies", epoch, seq));
  REQUIRE(h.boolean("ok"));
  CHECK(h.boolean("/recovered/synergies"));
  CHECK(h.num("/table/epoch") == epoch);
  CHECK(h.str("/table/insights/0/text") == "kept insight");
  auto const replayed = d.drain(300ms);
  CHECK(seqs_of(replayed, "synergies") == seq_range(seq + 1, h.num("/table/seq")));
  CHECK(!replayed.empty());
  CHECK(replayed.front().str("text") == "two");
}

TEST_CASE("Redis flushed under a live table: ops keep answering in the new epoch",
          "[redis][fault]") {
  redis_process redis;
  server_process a(node_args(url(redis), "A")), b(node_args(url(redis), "B"));
  ws_client x(a.port), y(b.port);
  x.hello("X");
  y.hello("Y");
  REQUIRE(x.request("join", "\"table\":\"big-data\"").boolean("ok"));
  REQUIRE(y.request("join", "\"table\":\"big-data\"").boolean("ok"));
  auto const old_epoch = x.request("join", "\"table\":\"big-data\"").num("/snapshot/epoch");
  child_process flush({"redis-cli", "-p", std::to_string(redis.port), "flushall"});
  flush.wait();
  // Every op gets its reply, from both nodes, again and again.
  for (int i = 0; i < 5; ++i) {
    REQUIRE(x.request("say", say("big-data", "x" + std::to_string(i))).boolean("ok"));
    REQUIRE(y.request("say", say("big-data", "y" + std::to_string(i))).boolean("ok"));
  }
  auto m = y.wait_for([](message const& e) { return e.str("text") == "x4"; });
  REQUIRE(m);
  CHECK(m->num("epoch") != old_epoch);
  ws_client z(a.port);
  z.hello("Z");
  CHECK(z.request("join", "\"table\":\"big-data\"").boolean("ok"));
}

TEST_CASE("a timer ends once, on every node", "[redis][timer]") {
  redis_process redis;
  server_process a(node_args(url(redis), "A")), b(node_args(url(redis), "B"));
  auto token = [](server_process& s) { return printed_token(s, "moderator link (synergies)"); };
  ws_client mod(a.port), other(b.port);
  REQUIRE(mod.hello("Mod", "\"token\":\"" + token(a) + "\"").boolean("ok"));
  other.hello("Other");
  REQUIRE(mod.request("join", "\"table\":\"synergies\"").boolean("ok"));
  REQUIRE(other.request("join", "\"table\":\"synergies\"").boolean("ok"));
  REQUIRE(mod.request("timer", "\"room\":\"synergies\",\"seconds\":1").boolean("ok"));
  for (auto* c : {&mod, &other}) {
    auto ended = c->wait_type("timer_ended", 5s);
    REQUIRE(ended);
    // Both nodes ran the countdown; only one `timer_ended` was published.
    CHECK_FALSE(c->wait_type("timer_ended", 1500ms));
  }
}
