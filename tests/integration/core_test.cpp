// Core integration tests: the real roundtable-server on a free port, driven
// over real WebSocket connections. Covers the protocol v1 core (hello, join,
// hop, leave, say, ping), presence, lobby counts, ordering and bad input.
#include "tests/support/engine.hpp"
#include "tests/support/process.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <map>
#include <random>
#include <set>
#include <thread>

using namespace roundtable::test;
using namespace std::chrono_literals;

namespace {

std::string say_fields(std::string const& room, std::string const& text) {
  return "\"room\":\"" + room + "\",\"text\":\"" + text + "\"";
}

}  // namespace

TEST_CASE("hello returns you, the event, the tables and the plenary snapshot", "[core]") {
  auto const engine_name = GENERATE(as<std::string>{}, "memory", "redis");
  engine_under_test engine(engine_name);
  INFO("engine: " << engine_name);
  server_process srv(engine.args());
  ws_client c(srv.port);
  auto r = c.hello("Ada");
  REQUIRE(r.boolean("ok"));
  CHECK(r.str("/you/name") == "Ada");
  CHECK(r.str("/you/role") == "participant");
  CHECK(!r.str("/you/id").empty());
  CHECK(r.str("/event/title") == "OpenGoV Co-production & Co-creation");
  CHECK(r.str("/tables/0/id") == "synergies");
  CHECK(r.str("/tables/0/topic") == "Synergies and sustainability");
  CHECK(r.str("/tables/1/topic") == "Big data for open governance");
  CHECK(r.str("/tables/2/topic") == "Inclusiveness");
  CHECK(r.str("/plenary/room") == "plenary");
  CHECK(r.has("/plenary/epoch"));
  CHECK(c.request("ping").boolean("ok"));
}

TEST_CASE("two clients at a table see each other's messages in order", "[core]") {
  auto const engine_name = GENERATE(as<std::string>{}, "memory", "redis");
  engine_under_test engine(engine_name);
  INFO("engine: " << engine_name);
  server_process srv(engine.args({"--threads", "2"}));
  ws_client a(srv.port), b(srv.port);
  a.hello("Ann");
  b.hello("Bob");
  REQUIRE(a.request("join", "\"table\":\"synergies\"").boolean("ok"));
  REQUIRE(b.request("join", "\"table\":\"synergies\"").boolean("ok"));
  for (int i = 0; i < 20; ++i) {
    auto& who = i % 2 ? b : a;
    REQUIRE(who.request("say", say_fields("synergies", "m" + std::to_string(i))).boolean("ok"));
  }
  for (auto* c : {&a, &b}) {
    std::int64_t last = 0;
    for (int i = 0; i < 20; ++i) {
      auto m = c->wait_type("message");
      REQUIRE(m);
      CHECK(m->str("text") == "m" + std::to_string(i));
      CHECK(m->str("room") == "synergies");
      CHECK(m->num("seq") > last);
      CHECK(m->has("epoch"));
      CHECK(m->str("/from/name") == (i % 2 ? "Bob" : "Ann"));
      CHECK(m->has("ts"));
      CHECK(!m->str("id").empty());
      last = m->num("seq");
    }
  }
}

TEST_CASE("the sender receives its own event before the reply", "[core]") {
  auto const engine_name = GENERATE(as<std::string>{}, "memory", "redis");
  engine_under_test engine(engine_name);
  INFO("engine: " << engine_name);
  server_process srv(engine.args());
  ws_client a(srv.port);
  a.hello("Ann");
  a.request("join", "\"table\":\"big-data\"");
  a.drain();
  a.send(R"({"op":"say","rid":99,"room":"big-data","text":"first"})");
  // The lobby's `tables` counts come on their own 250 ms timer, unordered
  // with the op: the order asked for is between the event and the reply.
  auto not_lobby = [](message const& m) { return m.type() != "tables"; };
  auto first = a.wait_for(not_lobby);
  REQUIRE(first);
  INFO(first->raw());
  CHECK(first->type() == "message");
  auto second = a.wait_for(not_lobby);
  REQUIRE(second);
  CHECK(second->type() == "reply");
  CHECK(second->num("rid") == 99);
}

TEST_CASE("a hop gives the new table's snapshot and presence to both tables", "[core]") {
  auto const engine_name = GENERATE(as<std::string>{}, "memory", "redis");
  engine_under_test engine(engine_name);
  INFO("engine: " << engine_name);
  server_process srv(engine.args({"--threads", "2", "--rate-limit", "0"}));
  ws_client hopper(srv.port), at_a(srv.port), at_b(srv.port);
  auto const hopper_id = hopper.hello("Hopper").str("/you/id");
  at_a.hello("Alice");
  at_b.hello("Bea");
  at_a.request("join", "\"table\":\"synergies\"");
  at_b.request("join", "\"table\":\"inclusiveness\"");
  for (int i = 0; i < 60; ++i) {
    REQUIRE(
        at_b.request("say", say_fields("inclusiveness", "b" + std::to_string(i))).boolean("ok"));
  }
  hopper.request("join", "\"table\":\"synergies\"");
  REQUIRE(
      at_a.wait_for([](message const& m) { return m.type() == "presence" && m.has("joined"); }));

  auto r = hopper.request("join", "\"table\":\"inclusiveness\"");
  REQUIRE(r.boolean("ok"));
  CHECK(r.str("/snapshot/room") == "inclusiveness");
  CHECK(r.str("/snapshot/topic") == "Inclusiveness");
  // The latest 50 messages, oldest first.
  simdjson::dom::array msgs;
  REQUIRE(!r.at("/snapshot/messages").get(msgs));
  CHECK(msgs.size() == 50);
  CHECK(r.str("/snapshot/messages/0/text") == "b10");
  CHECK(r.str("/snapshot/messages/49/text") == "b59");
  auto const snap_seq = r.num("/snapshot/seq");
  CHECK(snap_seq > 0);

  auto left =
      at_a.wait_for([](message const& m) { return m.type() == "presence" && m.has("left"); });
  REQUIRE(left);
  CHECK(left->str("left") == hopper_id);
  auto joined = at_b.wait_for(
      [](message const& m) { return m.type() == "presence" && m.str("/joined/name") == "Hopper"; });
  REQUIRE(joined);
  CHECK(joined->num("seq") <= snap_seq);  // included in the snapshot
  // The next event after the snapshot is snap_seq + 1, and nothing at or below it.
  at_b.request("say", say_fields("inclusiveness", "after"));
  auto m = hopper.wait_for([](message const& x) { return x.str("room") == "inclusiveness"; });
  REQUIRE(m);
  CHECK(m->num("seq") == snap_seq + 1);
  CHECK(m->str("text") == "after");
  // The old table's stream ended with the hop.
  at_a.request("say", say_fields("synergies", "gone"));
  auto stale =
      hopper.wait_for([](message const& x) { return x.str("room") == "synergies"; }, 300ms);
  CHECK(!stale);
}

TEST_CASE("lobby counts follow joins and leaves", "[core]") {
  auto const engine_name = GENERATE(as<std::string>{}, "memory", "redis");
  engine_under_test engine(engine_name);
  INFO("engine: " << engine_name);
  server_process srv(engine.args());
  ws_client watcher(srv.port), a(srv.port);
  watcher.hello("W");
  a.hello("A");
  a.request("join", "\"table\":\"big-data\"");
  auto count_is = [](std::int64_t n) {
    return [n](message const& m) {
      std::int64_t count = -1;
      auto const row = m.type() == "tables" ? table_row(m, "big-data") : std::nullopt;
      return row && !(*row)["count"].get(count) && count == n;
    };
  };
  auto t = watcher.wait_for(count_is(1));
  REQUIRE(t);
  CHECK(a.request("leave").boolean("ok"));
  auto t2 = watcher.wait_for(count_is(0));
  REQUIRE(t2);
}

TEST_CASE("a disconnect leaves presence", "[core]") {
  auto const engine_name = GENERATE(as<std::string>{}, "memory", "redis");
  engine_under_test engine(engine_name);
  INFO("engine: " << engine_name);
  server_process srv(engine.args());
  ws_client a(srv.port);
  a.hello("A");
  a.request("join", "\"table\":\"synergies\"");
  {
    ws_client b(srv.port);
    b.hello("B");
    b.request("join", "\"table\":\"synergies\"");
    REQUIRE(a.wait_for(
        [](message const& m) { return m.type() == "presence" && m.str("/joined/name") == "B"; }));
    b.close();
  }
  auto left = a.wait_for([](message const& m) { return m.type() == "presence" && m.has("left"); });
  REQUIRE(left);
}

TEST_CASE("bad input gets the right error and changes nothing", "[core][bad-input]") {
  auto const engine_name = GENERATE(as<std::string>{}, "memory", "redis");
  engine_under_test engine(engine_name);
  INFO("engine: " << engine_name);
  server_process srv(engine.args());
  ws_client c(srv.port), other(srv.port);
  other.hello("Other");
  other.request("join", "\"table\":\"synergies\"");

  auto error_of = [&](std::string const& text) {
    c.send(text);
    auto r = c.wait_type("reply");
    REQUIRE(r);
    CHECK_FALSE(r->boolean("ok"));
    return r->str("/error/code");
  };
  SECTION("before hello") {
    CHECK(error_of(R"({"op":"say","room":"plenary","text":"x"})") == "unauthorized");
    CHECK(error_of(R"({"op":"join","table":"synergies"})") == "unauthorized");
  }
  SECTION("after hello") {
    c.hello("C");
    CHECK(error_of("not json") == "bad_request");
    CHECK(error_of("[1,2]") == "bad_request");
    CHECK(error_of(R"({"rid":1})") == "bad_request");
    CHECK(error_of(R"({"op":"dance"})") == "bad_request");
    CHECK(error_of(R"({"op":"say","room":"plenary"})") == "bad_request");
    CHECK(error_of(R"({"op":"say","room":"plenary","text":5})") == "bad_request");
    CHECK(error_of(R"({"op":"join","table":7})") == "bad_request");
    CHECK(error_of(R"({"op":"join","table":"nowhere"})") == "not_found");
    CHECK(error_of(R"({"op":"say","room":"synergies","text":"not a member"})") == "forbidden");
    CHECK(error_of(R"({"op":"say","room":"nowhere","text":"x"})") == "not_found");
    CHECK(error_of(R"({"op":"hello","name":"again"})") == "bad_request");
    CHECK(error_of(R"({"op":"broadcast","text":"hi"})") == "forbidden");
    CHECK(error_of(R"({"op":"say","room":"plenary","text":")" + std::string(4001, 'x') + "\"}") ==
          "too_large");
    // The rid is echoed even on errors.
    c.send(R"({"op":"dance","rid":"abc"})");
    auto r = c.wait_type("reply");
    REQUIRE(r);
    CHECK(r->str("rid") == "abc");
    // Nothing reached the table.
    CHECK_FALSE(other.wait_type("message", 300ms));
    // And the connection still works.
    CHECK(c.request("ping").boolean("ok"));
  }
}

TEST_CASE("frame-level faults close with the right code; others carry on", "[core][bad-input]") {
  auto const engine_name = GENERATE(as<std::string>{}, "memory", "redis");
  engine_under_test engine(engine_name);
  INFO("engine: " << engine_name);
  server_process srv(engine.args());
  ws_client bystander(srv.port);
  bystander.hello("Bystander");
  SECTION("message over 64 KiB: 1009") {
    ws_client c(srv.port);
    c.hello("Big");
    c.send(std::string(70 * 1024, ' '));
    CHECK(c.wait_close() == 1009);
  }
  SECTION("binary frame: 1003") {
    ws_client c(srv.port);
    c.hello("Bin");
    c.send_binary("\x01\x02");
    CHECK(c.wait_close() == 1003);
  }
  SECTION("invalid UTF-8: 1007") {
    ws_client c(srv.port);
    c.hello("Utf");
    c.send("{\"op\":\"ping\",\"x\":\"\xff\xfe\"}");
    CHECK(c.wait_close() == 1007);
  }
  CHECK(bystander.request("ping").boolean("ok"));
}

TEST_CASE("HTTP: health, the web client and the origin policy", "[core][http]") {
  server_process srv({"--ephemeral"});
  auto h = http_get(srv.port, "/healthz");
  CHECK(h.status == 200);
  CHECK(http_get(srv.port, "/readyz").status == 200);
  auto page = http_get(srv.port, "/");
  CHECK(page.status == 200);
  CHECK(page.content_type.find("text/html") != std::string::npos);
  CHECK(http_get(srv.port, "/../../etc/passwd").status >= 400);
  {
    // Some traffic for the fan-out metrics.
    ws_client a(srv.port);
    a.hello("A");
    a.request("join", "\"table\":\"synergies\"");
    a.request("say", "\"room\":\"synergies\",\"text\":\"x\"");
  }
  // The histogram records when a write completes, which may follow the
  // client's receipt by a moment: poll briefly.
  auto metrics = http_get(srv.port, "/metrics");
  for (int i = 0; i < 100 && metrics.body.find("roundtable_publish_to_write_seconds_count 0") !=
                                 std::string::npos;
       ++i) {
    std::this_thread::sleep_for(20ms);
    metrics = http_get(srv.port, "/metrics");
  }
  CHECK(metrics.status == 200);
  CHECK(metrics.body.find("roundtable_connections ") != std::string::npos);
  CHECK(metrics.body.find("roundtable_build_info{version=\"" ROUNDTABLE_VERSION "\"} 1\n") !=
        std::string::npos);
  CHECK(metrics.body.find("roundtable_deliveries_total 0") == std::string::npos);
  CHECK(metrics.body.find("roundtable_publish_to_write_seconds_count 0") == std::string::npos);
  CHECK(metrics.body.find("roundtable_publish_to_write_seconds_count") != std::string::npos);
  // A foreign browser origin is refused at the upgrade.
  CHECK_THROWS(ws_client(srv.port, "http://evil.example"));
  // Localhost and no origin are let through.
  ws_client local(srv.port, "http://localhost:5173");
  CHECK(local.hello("L").boolean("ok"));
}

// 200 clients over 3 tables hop at random while everyone talks. Each client
// checks every room visit: after the snapshot at seq S it must see S+1, S+2...
// with no gap, duplicate or reordering, and at the end the stay at its last
// table must reach that table's final seq.
TEST_CASE("200 clients with random hops receive every message exactly once, in order",
          "[core][load]") {
  auto const engine_name = GENERATE(as<std::string>{}, "memory", "redis");
  engine_under_test engine(engine_name);
  INFO("engine: " << engine_name);
  server_process srv(
      engine.args({"--threads", "2", "--rate-limit", "0", "--max-connections-per-ip", "1000"}));
  std::vector<std::string> const tables{"synergies", "big-data", "inclusiveness"};
  constexpr int n = 200;
  std::vector<std::unique_ptr<ws_client>> clients;
  struct visit {
    std::string room;
    std::int64_t epoch = 0, next = 0;  // the seq expected next
  };
  std::vector<visit> at(n);
  std::mt19937 rng(42);
  int failures = 0;

  auto take = [&](int i, message const& m) {
    if (m.type() == "reply" || m.type() == "tables" || m.str("room") == "plenary") return;
    auto& v = at[i];
    if (m.str("room") != v.room) {
      ++failures;  // an event from a table the client is not at
      return;
    }
    if (m.num("seq") != v.next || m.num("epoch") != v.epoch) ++failures;
    v.next = m.num("seq") + 1;
  };
  auto join = [&](int i, std::string const& table) {
    auto& c = *clients[i];
    // Consume events of the current stay first.
    for (auto& m : c.drain(0ms)) take(i, m);
    auto const rid = c.last_rid() + 1;
    c.send("{\"op\":\"join\",\"rid\":" + std::to_string(rid) + ",\"table\":\"" + table + "\"}");
    for (;;) {
      auto m = c.next();
      REQUIRE(m);
      if (m->type() == "reply" && m->num("rid") == rid) {
        REQUIRE(m->boolean("ok"));
        at[i] = visit{table, m->num("/snapshot/epoch"), m->num("/snapshot/seq") + 1};
        break;
      }
      take(i, *m);
    }
  };
  for (int i = 0; i < n; ++i) {
    clients.push_back(std::make_unique<ws_client>(srv.port));
    clients[i]->hello("c" + std::to_string(i));
    // request() bumps the rid counter; keep ours above it.
  }
  for (int i = 0; i < n; ++i) join(i, tables[i % 3]);
  std::uniform_int_distribution<int> pick(0, n - 1), table(0, 2);
  for (int round = 0; round < 600; ++round) {
    int const i = pick(rng);
    if (round % 4 == 0) {
      join(i, tables[table(rng)]);
    } else {
      clients[i]->send("{\"op\":\"say\",\"room\":\"" + at[i].room + "\",\"text\":\"r" +
                       std::to_string(round) + "\"}");
    }
  }
  // A final message per table marks its last seq.
  std::map<std::string, std::int64_t> last_seq;
  ws_client marker(srv.port);
  marker.hello("marker");
  for (auto const& t : tables) {
    auto snap = marker.request("join", "\"table\":\"" + t + "\"");
    marker.request("say", say_fields(t, "end"));
    auto m = marker.wait_for(
        [&](message const& x) { return x.str("room") == t && x.str("text") == "end"; });
    REQUIRE(m);
    last_seq[t] = m->num("seq");
  }
  for (int i = 0; i < n; ++i) {
    auto& c = *clients[i];
    for (;;) {
      auto m = c.next(3000ms);
      REQUIRE(m);
      take(i, *m);
      if (m->str("room") == at[i].room && m->str("text") == "end") break;
    }
    // The marker's own leave/join may follow: the stay reached the end seq.
    CHECK(at[i].next > last_seq[at[i].room]);
  }
  CHECK(failures == 0);
}

TEST_CASE("SIGTERM: clients get 1001, the server exits 0 within 5 s", "[core][shutdown]") {
  auto const engine_name = GENERATE(as<std::string>{}, "memory", "redis");
  engine_under_test engine(engine_name);
  INFO("engine: " << engine_name);
  server_process srv(engine.args());
  ws_client a(srv.port), b(srv.port);
  a.hello("A");
  b.hello("B");
  REQUIRE(a.request("join", "\"table\":\"synergies\"").boolean("ok"));
  REQUIRE(b.request("join", "\"table\":\"synergies\"").boolean("ok"));
  auto const start = std::chrono::steady_clock::now();
  srv.proc->signal(SIGTERM);
  CHECK(a.wait_close() == 1001);
  CHECK(b.wait_close() == 1001);
  auto const status = srv.proc->wait(std::chrono::seconds(5));
  REQUIRE(status != -1);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  INFO("stopped after " << std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - start)
                               .count()
                        << " ms");
  // Refusing new connections once stopped.
  CHECK_THROWS(ws_client(srv.port));
}
