// The Asio adapter for hiredis and the async client on it, against real
// redis-server processes on free ports: round trips, pipelining order, binary
// safety, pub/sub, scripts with the NOSCRIPT fallback, a dead port, a Redis
// restart, and destroying a connection with work in flight.
#include "engine/redis/client.hpp"

#include <algorithm>
#include <csignal>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/support/io.hpp"
#include "tests/support/process.hpp"

namespace {

using namespace std::chrono_literals;
namespace rr = roundtable::redis;
using roundtable::test::redis_process;

using roundtable::test::run_for;
using roundtable::test::run_until;

rr::reply call(boost::asio::io_context& io, rr::connection& c, std::vector<std::string> args) {
  std::optional<rr::reply> got;
  c.command(std::move(args), [&](rr::reply r) { got = std::move(r); });
  REQUIRE(run_until(io, [&] { return got.has_value(); }));
  return std::move(*got);
}

void connect_and_wait(boost::asio::io_context& io, rr::connection& c, int port) {
  c.connect("127.0.0.1", port);
  REQUIRE(run_until(io, [&] { return c.connected(); }));
}

// Subscribers Redis counts on `channel`, asked over `c`.
std::int64_t numsub(boost::asio::io_context& io, rr::connection& c, std::string const& channel) {
  auto r = call(io, c, {"PUBSUB", "NUMSUB", channel});
  REQUIRE(r.type == rr::reply::kind::array);
  REQUIRE(r.elements.size() == 2);
  return r.elements[1].integer;
}

void wait_numsub(boost::asio::io_context& io, rr::connection& c, std::string const& channel,
                 std::int64_t want) {
  auto const deadline = std::chrono::steady_clock::now() + 15s;
  while (numsub(io, c, channel) != want) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    run_for(io, 10ms);
  }
}

}  // namespace

TEST_CASE("SET then GET round trip", "[redis]") {
  redis_process server;
  boost::asio::io_context io;
  rr::connection c(io);
  std::vector<bool> states;
  c.on_state([&](bool up) { states.push_back(up); });
  connect_and_wait(io, c, server.port);

  auto set = call(io, c, {"SET", "greeting", "hello"});
  CHECK(set.type == rr::reply::kind::status);
  CHECK(set.str == "OK");

  auto get = call(io, c, {"GET", "greeting"});
  CHECK(get.type == rr::reply::kind::string);
  CHECK(get.str == "hello");

  CHECK(call(io, c, {"GET", "missing"}).type == rr::reply::kind::nil);

  auto err = call(io, c, {"INCR", "greeting"});
  CHECK(err.is_error());
  CHECK(err.str.starts_with("ERR"));

  auto arr = call(io, c, {"MGET", "greeting", "missing"});
  REQUIRE(arr.type == rr::reply::kind::array);
  REQUIRE(arr.elements.size() == 2);
  CHECK(arr.elements[0].str == "hello");
  CHECK(arr.elements[1].type == rr::reply::kind::nil);

  REQUIRE(run_until(io, [&] { return !states.empty(); }));
  CHECK(states == std::vector<bool>{true});
}

TEST_CASE("10,000 pipelined INCRs reply in order", "[redis]") {
  redis_process server;
  boost::asio::io_context io;
  rr::connection c(io);
  connect_and_wait(io, c, server.port);

  constexpr int n = 10'000;
  std::vector<std::int64_t> values;
  values.reserve(n);
  for (int i = 0; i < n; ++i) {
    c.command({"INCR", "counter"}, [&](rr::reply r) {
      values.push_back(r.type == rr::reply::kind::integer ? r.integer : -1);
    });
  }
  REQUIRE(run_until(io, [&] { return values.size() == n; }));
  for (int i = 0; i < n; ++i) REQUIRE(values[i] == i + 1);
  CHECK(call(io, c, {"GET", "counter"}).str == std::to_string(n));
}

TEST_CASE("keys and values are binary-safe", "[redis]") {
  redis_process server;
  boost::asio::io_context io;
  rr::connection c(io);
  connect_and_wait(io, c, server.port);

  std::string const key("k\0ey\r\n", 6);
  std::string const small("a\0b\0\xff\r\n$3\r\n", 12);
  REQUIRE(call(io, c, {"SET", key, small}).str == "OK");
  auto got = call(io, c, {"GET", key});
  CHECK(got.str.size() == small.size());
  CHECK(got.str == small);

  std::string big(1 << 20, '\0');
  std::mt19937 gen(42);
  for (auto& ch : big) ch = static_cast<char>(gen());
  REQUIRE(call(io, c, {"SET", "big", big}).str == "OK");
  auto big_got = call(io, c, {"GET", "big"});
  CHECK(big_got.str.size() == big.size());
  CHECK(big_got.str == big);
  CHECK(call(io, c, {"STRLEN", "big"}).integer == (1 << 20));
}

TEST_CASE("pub/sub between two connections", "[redis]") {
  redis_process server;
  boost::asio::io_context io;
  rr::connection sub(io);
  rr::connection pub(io);
  std::vector<std::pair<std::string, std::string>> got;
  sub.on_message([&](std::string_view channel, std::string_view payload) {
    got.emplace_back(channel, payload);
  });
  connect_and_wait(io, sub, server.port);
  connect_and_wait(io, pub, server.port);

  sub.subscribe("room:a");
  sub.subscribe("room:b");
  wait_numsub(io, pub, "room:a", 1);
  wait_numsub(io, pub, "room:b", 1);

  std::string const payload("hi\0there", 8);
  CHECK(call(io, pub, {"PUBLISH", "room:a", payload}).integer == 1);
  REQUIRE(run_until(io, [&] { return got.size() == 1; }));
  CHECK(got[0].first == "room:a");
  CHECK(got[0].second == payload);

  CHECK(call(io, pub, {"PUBLISH", "room:b", "second"}).integer == 1);
  REQUIRE(run_until(io, [&] { return got.size() == 2; }));
  CHECK(got[1] == std::pair<std::string, std::string>{"room:b", "second"});

  sub.unsubscribe("room:a");
  wait_numsub(io, pub, "room:a", 0);
  CHECK(call(io, pub, {"PUBLISH", "room:a", "after"}).integer == 0);
  // room:b still delivers, and the room:a message never arrives before it.
  CHECK(call(io, pub, {"PUBLISH", "room:b", "still"}).integer == 1);
  REQUIRE(run_until(io, [&] { return got.size() == 3; }));
  CHECK(got[2] == std::pair<std::string, std::string>{"room:b", "still"});
}

// A node lets a room's replica go and takes it back (engine/redis_engine.cpp),
// which relies on this: a subscribe that follows an unsubscribe before Redis
// confirmed it keeps delivering (the late confirmation must not take the
// channel's callback, in hiredis, or the channel, in the connection's set).
TEST_CASE("subscribing again before the unsubscribe is confirmed keeps the messages", "[redis]") {
  redis_process server;
  boost::asio::io_context io;
  rr::connection sub(io);
  rr::connection pub(io);
  std::vector<std::string> got;
  sub.on_message([&](std::string_view, std::string_view payload) { got.emplace_back(payload); });
  connect_and_wait(io, sub, server.port);
  connect_and_wait(io, pub, server.port);
  sub.subscribe("keep");  // a channel that stays, as the plenary's does
  sub.subscribe("room");
  wait_numsub(io, pub, "room", 1);
  for (int round = 0; round < 20; ++round) {
    sub.unsubscribe("room");
    sub.subscribe("room");  // in the same turn: no confirmation yet
    // Both confirmations arrive; Redis counts one subscriber again.
    run_for(io, 5ms);
    wait_numsub(io, pub, "room", 1);
    auto const text = "m" + std::to_string(round);
    REQUIRE(call(io, pub, {"PUBLISH", "room", text}).integer == 1);
    REQUIRE(run_until(io, [&] { return got.size() == static_cast<std::size_t>(round) + 1; }));
    CHECK(got.back() == text);
  }
}

TEST_CASE("scripts run by SHA and fall back after SCRIPT FLUSH", "[redis]") {
  redis_process server;
  boost::asio::io_context io;
  rr::connection c(io);
  connect_and_wait(io, c, server.port);

  rr::script incr("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  auto run = [&] {
    std::optional<rr::reply> got;
    c.evalsha(incr, {"n"}, {"5"}, [&](rr::reply r) { got = std::move(r); });
    REQUIRE(run_until(io, [&] { return got.has_value(); }));
    return std::move(*got);
  };
  auto exists = [&] {
    auto r = call(io, c, {"SCRIPT", "EXISTS", incr.sha()});
    REQUIRE(r.elements.size() == 1);
    return r.elements[0].integer;
  };

  CHECK(incr.sha().empty());
  CHECK(run().integer == 5);
  REQUIRE(incr.sha().size() == 40);
  CHECK(exists() == 1);

  REQUIRE(call(io, c, {"CONFIG", "RESETSTAT"}).str == "OK");
  CHECK(run().integer == 10);
  auto stats = call(io, c, {"INFO", "commandstats"}).str;
  CHECK(stats.find("cmdstat_evalsha:calls=1,") != std::string::npos);
  CHECK(stats.find("cmdstat_eval:") == std::string::npos);

  REQUIRE(call(io, c, {"SCRIPT", "FLUSH"}).str == "OK");
  CHECK(exists() == 0);
  CHECK(run().integer == 15);  // NOSCRIPT, then EVAL
  CHECK(exists() == 1);        // EVAL cached it again
  CHECK(run().integer == 20);

  rr::script broken("return redis.call('NOPE')");
  std::optional<rr::reply> err;
  c.evalsha(broken, {}, {}, [&](rr::reply r) { err = std::move(r); });
  REQUIRE(run_until(io, [&] { return err.has_value(); }));
  CHECK(err->is_error());
}

TEST_CASE("nothing listening: stays down, fails fast, retries with backoff", "[redis]") {
  int const port = roundtable::test::free_port();
  boost::asio::io_context io;
  rr::connection c(io);
  int state_changes = 0;
  c.on_state([&](bool) { ++state_changes; });
  c.connect("127.0.0.1", port);

  std::optional<rr::reply> got;
  c.command({"PING"}, [&](rr::reply r) { got = std::move(r); });
  REQUIRE(run_until(io, [&] { return got.has_value(); }));
  CHECK(got->is_error());
  CHECK(got->str == rr::unavailable);

  run_for(io, 1s);
  CHECK_FALSE(c.connected());
  CHECK(state_changes == 0);
  // 100 ms, 200 ms, 400 ms ... ceilings with full jitter: a handful in a
  // second, where a retry loop without backoff would make thousands.
  INFO("attempts: " << c.connect_attempts());
  CHECK(c.connect_attempts() >= 2);
  CHECK(c.connect_attempts() <= 30);
}

TEST_CASE("reconnects after Redis restarts and subscribes again", "[redis]") {
  auto first = std::make_unique<redis_process>();
  int const port = first->port;
  boost::asio::io_context io;
  rr::connection sub(io);
  rr::connection cmd(io);
  std::vector<bool> sub_states, cmd_states;
  std::vector<std::string> got;
  sub.on_state([&](bool up) { sub_states.push_back(up); });
  cmd.on_state([&](bool up) { cmd_states.push_back(up); });
  sub.on_message([&](std::string_view, std::string_view payload) { got.emplace_back(payload); });
  connect_and_wait(io, sub, port);
  connect_and_wait(io, cmd, port);
  sub.subscribe("room:r");
  wait_numsub(io, cmd, "room:r", 1);

  // A command that never answers by itself: it must fail when the link drops.
  std::optional<rr::reply> blocked;
  cmd.command({"BLPOP", "never", "0"}, [&](rr::reply r) { blocked = std::move(r); });
  run_for(io, 50ms);
  REQUIRE_FALSE(blocked.has_value());

  first->proc->signal(SIGKILL);
  first->proc->wait();
  REQUIRE(run_until(io, [&] { return blocked.has_value(); }));
  CHECK(blocked->is_error());
  CHECK(blocked->str == rr::unavailable);
  REQUIRE(run_until(io, [&] { return !sub.connected() && !cmd.connected(); }));
  first.reset();

  std::optional<rr::reply> while_down;
  cmd.command({"PING"}, [&](rr::reply r) { while_down = std::move(r); });
  REQUIRE(run_until(io, [&] { return while_down.has_value(); }));
  CHECK(while_down->str == rr::unavailable);

  redis_process second({}, port);
  REQUIRE(run_until(io, [&] { return sub.connected() && cmd.connected(); }));
  wait_numsub(io, cmd, "room:r", 1);
  CHECK(call(io, cmd, {"PUBLISH", "room:r", "after restart"}).integer == 1);
  REQUIRE(run_until(io, [&] { return !got.empty(); }));
  CHECK(got == std::vector<std::string>{"after restart"});

  REQUIRE(run_until(io, [&] { return sub_states.size() == 3 && cmd_states.size() == 3; }));
  CHECK(sub_states == std::vector<bool>{true, false, true});
  CHECK(cmd_states == std::vector<bool>{true, false, true});
}

TEST_CASE("destroying a connection with commands in flight", "[redis]") {
  redis_process server;
  boost::asio::io_context io;
  int called_after = 0;

  SECTION("before any reply was read") {
    auto c = std::make_unique<rr::connection>(io);
    connect_and_wait(io, *c, server.port);
    c->command({"BLPOP", "never", "0"}, [&](rr::reply) { ++called_after; });
    for (int i = 0; i < 1000; ++i) c->command({"INCR", "x"}, [&](rr::reply) { ++called_after; });
    c.reset();
  }

  SECTION("with replies arriving") {
    auto c = std::make_unique<rr::connection>(io);
    connect_and_wait(io, *c, server.port);
    int seen = 0;
    for (int i = 0; i < 1000; ++i) c->command({"INCR", "y"}, [&](rr::reply) { ++seen; });
    c->command({"BLPOP", "never", "0"}, [&](rr::reply) { ++called_after; });
    REQUIRE(run_until(io, [&] { return seen == 1000; }));
    c.reset();
  }

  SECTION("from inside a reply callback") {
    auto c = std::make_unique<rr::connection>(io);
    connect_and_wait(io, *c, server.port);
    int seen = 0;
    for (int i = 0; i < 1000; ++i) {
      c->command({"INCR", "z"}, [&](rr::reply) {
        if (++seen == 5)
          c.reset();
        else if (seen > 5)
          ++called_after;
      });
    }
    REQUIRE(run_until(io, [&] { return c == nullptr; }));
  }

  SECTION("while connecting") {
    auto c = std::make_unique<rr::connection>(io);
    c->connect("127.0.0.1", server.port);
    c.reset();
  }

  run_for(io, 200ms);
  CHECK(called_after == 0);
  // The server is still fine and the socket was closed: no client left but ours.
  rr::connection probe(io);
  connect_and_wait(io, probe, server.port);
  auto clients = call(io, probe, {"CLIENT", "LIST"}).str;
  CHECK(std::count(clients.begin(), clients.end(), '\n') == 1);
}
