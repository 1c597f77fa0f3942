// Redis restarted with data to read back (the README asks for persistence):
// while it loads, it accepts connections and answers every command with
// LOADING. A node that reconnects in that window must load its rooms once
// Redis has finished, not wait for a reconnect that never comes (it stayed
// unready for good: /readyz 503, every op `unavailable`).
#include "tests/support/process.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <thread>

using namespace roundtable::test;
using namespace std::chrono_literals;

namespace {

std::string cli(int port, std::vector<std::string> args) {
  args.insert(args.begin(), {"redis-cli", "-p", std::to_string(port)});
  child_process p(args);
  auto out = p.wait_output(60s);
  p.wait();
  return out;
}

bool ready_within(int port, std::chrono::seconds limit) {
  auto const end = std::chrono::steady_clock::now() + limit;
  while (http_get(port, "/readyz").status != 200) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(50ms);
  }
  return true;
}

}  // namespace

TEST_CASE("a node that reconnects while Redis loads its data is ready once Redis is",
          "[redis][failover]") {
  temp_dir data;
  std::vector<std::string> const args{"--dir", data.path(), "--enable-debug-command", "yes"};
  auto redis = std::make_unique<redis_process>(args);
  // Enough keys that reading them back takes a few seconds.
  REQUIRE(cli(redis->port, {"DEBUG", "POPULATE", "2500000"}).find("OK") != std::string::npos);
  REQUIRE(cli(redis->port, {"SAVE"}).find("OK") != std::string::npos);
  server_process srv({"--redis", "redis://127.0.0.1:" + std::to_string(redis->port), "--ephemeral",
                      "--rate-limit", "0"});
  REQUIRE(ready_within(srv.port, 20s));

  auto const port = redis->port;
  redis.reset();
  // Returns once loaded: a few seconds, a minute at most on a loaded machine.
  redis = std::make_unique<redis_process>(args, port, 60s);
  REQUIRE(ready_within(srv.port, 20s));
  // The node did meet Redis loading: else this test tried nothing.
  CHECK(srv.proc->output().find("LOADING") != std::string::npos);

  ws_client c(srv.port);
  REQUIRE(c.hello("Ana").boolean("ok"));
  // The demo event's first table.
  REQUIRE(c.request("join", R"("table":"synergies")").boolean("ok"));
  CHECK(c.request("say", R"("room":"synergies","text":"after")").boolean("ok"));
}
